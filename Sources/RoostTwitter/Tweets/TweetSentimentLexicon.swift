/// Roost's sentiment lexicon for customer care on X (``TweetSentiment``): valences from -4 (worst) to +4,
/// written for this project (not copied from another lexicon), covering what customers write to support
/// handles: outages, waiting, billing, broken devices, delays, and thanks.
enum TweetSentimentLexicon {
    static let words: [String: Double] = {
        var table: [String: Double] = [:]
        func add(_ valence: Double, _ list: String) {
            for word in list.split(separator: " ") { table[String(word)] = valence }
        }
        // Strongly negative.
        add(-3.4, "horrifying horrified worst horrible horrendous atrocious disgusting disgusted appalling pathetic unacceptable scam scammed fraud fraudulent hate hated hateful furious outrageous")
        add(-3.0, "clueless stinks stink terrible awful useless incompetent incompetence ridiculous joke disgrace shameful shame nightmare rubbish garbage trash crap sucks sucked lies lying liar stolen thieves robbed")
        add(-2.6, "angry livid fuming rude disrespectful disappointed disappointing disappointment frustrated frustrating frustration annoyed annoying annoying infuriating upset unhappy miserable horrid dreadful poor poorly")
        add(-2.2, "drains draining drained ridiculously broken broke outage outages fail failed failing fails failure crashed crashing crashes crash dead died dying stuck lost missing damaged cancelled canceled cancellation overcharged overcharging scratched cracked faulty defective glitch glitches glitchy bug buggy error errors problem problems issue issues")
        add(-1.8, "delayed delay delays late slow slower slowest waiting waited wait hold unable cannot can't won't wrong worse bad badly nobody never ignored ignoring ignore complaint complain complaining refund refunds unresolved again still sick tired")
        add(-1.2, "down dropped dropping drops disconnect disconnected disconnecting outage-prone expensive confused confusing unclear hassle difficult trouble struggling struggle worried concern concerned")
        add(-0.8, "no nothing lack lacking")
        // Positive.
        add(3.2, "amazing awesome excellent fantastic outstanding brilliant superb wonderful perfect love loved loving lovely best")
        add(2.6, "great happy glad delighted impressed thrilled pleased grateful thankful appreciated appreciate appreciates kudos")
        add(2.2, "exciting excited thanks thank thx ty helpful friendly resolved fixed solved sorted nice good cool")
        add(1.6, "works working worked better easy smooth recommend enjoy enjoyed enjoying like liked welcome quick quickly")
        add(0.5, "ok okay fine")
        return table
    }()

    /// Two-word entries, checked before single words.
    static let phrases: [String: Double] = [
        "no service": -2.6, "no internet": -2.6, "no signal": -2.4, "no wifi": -2.4, "no power": -2.4, "no response": -2.4,
        "not working": -2.6, "stopped working": -2.6, "doesn't work": -2.6, "does not": -0.5, "still waiting": -2.4,
        "on hold": -1.8, "customer service": 0, "thank you": 2.4, "thanks so": 2.4, "well done": 2.6, "charged twice": -2.6,
        "double charged": -2.6, "keeps dropping": -2.4, "keeps crashing": -2.6, "never again": -3.0, "fed up": -2.6,
        "waste of": -2.6, "so much": 0, "good job": 2.6, "great job": 3.0, "sort it": -0.8, "do better": -1.8,
        "no luck": -2.2, "no dice": -2.2, "and off": -1.8, "too long": -2.0, "no one": -1.8, "any help": 0,
    ]

    /// Intensifiers: added to a sentiment word's magnitude (negative ones damp it).
    static let boosters: [String: Double] = [
        "very": 0.293, "really": 0.293, "so": 0.293, "extremely": 0.293, "absolutely": 0.293, "totally": 0.293,
        "completely": 0.293, "utterly": 0.293, "incredibly": 0.293, "super": 0.293, "most": 0.293, "such": 0.293,
        "fucking": 0.293, "bloody": 0.293, "literally": 0.293, "seriously": 0.293,
        "slightly": -0.293, "somewhat": -0.293, "kinda": -0.293, "kind": -0.293, "barely": -0.293, "little": -0.293,
    ]

    /// Words that negate what follows within three words (and any word ending in n't).
    static let negations: Set<String> = [
        "not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "without", "cannot", "cant", "dont", "doesnt",
        "didnt", "isnt", "wasnt", "arent", "werent", "wont", "wouldnt", "shouldnt", "couldnt", "havent", "hasnt", "hadnt",
    ]

    /// Text emoticons (matched in the raw text).
    static let emoticons: [(String, Double)] = [(":)", 1.8), (":-)", 1.8), (":D", 2.0), (":(", -1.8), (":-(", -1.8), (":/", -1.0)]

    /// Emoji by scalar value.
    static let emoji: [UInt32: Double] = [
        0x1F621: -2.6, 0x1F620: -2.4, 0x1F92C: -3.0, 0x1F624: -2.0, 0x1F61E: -1.8, 0x1F622: -1.8, 0x1F62D: -2.0,
        0x1F44E: -2.0, 0x1F4A9: -2.0, 0x1F612: -1.6, 0x1F644: -1.6, 0x1F629: -1.8, 0x1F62B: -1.8, 0x1F615: -1.0,
        0x1F641: -1.4, 0x2639: -1.4, 0x1F494: -2.0, 0x1F926: -1.6,
        0x1F60A: 2.0, 0x1F60D: 2.6, 0x1F64F: 1.4, 0x1F44D: 1.8, 0x2764: 2.4, 0x1F600: 2.0, 0x1F603: 2.0, 0x1F604: 2.0,
        0x1F389: 2.0, 0x1F642: 1.4, 0x1F970: 2.6, 0x1F618: 2.0, 0x1F44F: 1.8, 0x2728: 1.0, 0x1F499: 2.0, 0x1F49C: 2.0,
    ]
}
