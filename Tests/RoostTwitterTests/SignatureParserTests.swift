import Testing
import RoostTwitter

/// Signatures on real replies from the TWCS sample (`TWCSSampleTests` checks these texts against the
/// file when it is present) and on look-alikes that are not signatures.
@Suite struct SignatureParserTests {
    struct Example: Sendable, CustomTestStringConvertible {
        let id: String
        let text: String
        let signature: String?
        var testDescription: String { "tweet \(id)" }
    }

    static let realExamples: [Example] = [
        Example(id: "21", text: "@115716 What information is incorrect? ^JK", signature: "JK"),
        Example(id: "64", text: "@115728 I still think you look great! -Becky", signature: "Becky"),
        Example(id: "11", text: "@115713 This is saddening to hear. Please shoot us a DM, so that we can look into this for you. -KC", signature: "KC"),
        Example(id: "848", text: "@115887 Hmm. Can you try restarting your device by holding the Sleep/Wake + Volume Down buttons for 10 seconds? Keep us posted /LS", signature: "LS"),
        Example(id: "851", text: "@115887 Could you send us a DM with your account's email address? We'll take a look backstage /CH https://t.co/ldFdZRiNAt", signature: "CH"),
        Example(id: "243", text: "@115767 Would you please DM the Adobe Product &amp; your purchase details that you have so that we can ask our experts to follow up. ^Raj https://t.co/iuwZCjz4Or", signature: "Raj"),
        Example(id: "3470", text: "@116533 Let's take a look. Can I ask you to DM us your email address, full name and registered postal code so we can review?^CM", signature: "CM"),
        Example(id: "3065", text: "@116409 Sorry about the service issues.  Please send us a DM with your account info so I can help.--JV", signature: "JV"),
        Example(id: "338", text: "@115797 Hi Loreen, you may check the passenger's date of birth via AirAsia member account under manage booking. Thanks-Sha", signature: "Sha"),
        Example(id: "1570", text: "@116034 You can send us a message by clicking the link below. ^cr https://t.co/CoOXedUuUC", signature: "cr"),
        Example(id: "2371", text: "@116251 Do share any fun carvings you and the kids do. Hope you have a lovely weekend :~)-Tabby", signature: "Tabby"),
        // Not signatures: hyphens and slashes inside words or numbers at the end of customer tweets.
        Example(id: "4825", text: "Card is about to expire from @116827 . I asked for it to be expedited since it is already close to the end of the month - and the “best” they can do is 7-14 days. Not helpful at all.", signature: nil),
        Example(id: "6617", text: "@SpotifyCares No it didn't crash. I was cooking dinner and heard about 3 songs. Each song is about 2-3 mins. After the third song the ad played.", signature: nil),
        Example(id: "3682", text: "@81 Just got off the phone with a Rep @116593, and we couldn't get a package shipped to my closest location (NJ) for pick-up", signature: nil),
        Example(id: "5064", text: "@British_Airways #BA198 massive thank you to Victor De Georgio for such amazing service BOM-LHR", signature: nil),
        Example(id: "5407", text: "@AlaskaAir Not sure. In the back of the plane but heard an announcement about doors closing. Still sitting at the gate past departure time. Finally turned on A/C", signature: nil),
        Example(id: "6639", text: "@115913 @115911 have been a loyal customer for 4 years and got denied dues to ES limit which is 4 year old What is point of JOD/month", signature: nil),
    ]

    @Test(arguments: realExamples)
    func realReplies(example: Example) {
        #expect(SignatureParser.initials(in: example.text) == example.signature)
    }

    @Test(arguments: [
        ("It takes 5-10 minutes", nil),
        ("Wait 5-10", nil),
        ("Call 555-Ten", nil),
        ("see and/or", nil),
        ("the A/B", nil),
        ("a minus - sign", nil),
        ("ends with a caret ^", nil),
        ("-", nil),
        ("", nil),
        ("Thanks! ^JK   ", "JK"),
        ("Thanks!\n^JAY", "JAY"),
        ("Thanks ^AL https://t.co/a https://t.co/b\n", "AL"),
        ("-AB", "AB"),
        ("Thanks /ab", nil),
        ("Thanks -ab", nil),
        ("Thanks ^ThisNameIsTooLong", nil),
        ("Thanks ^Abcdefghijkl", "Abcdefghijkl"),  // 12 letters, the most
        ("Visit https://example.com/-AB", nil),
    ] as [(String, String?)])
    func synthetic(text: String, expected: String?) {
        #expect(SignatureParser.initials(in: text) == expected)
    }
}
