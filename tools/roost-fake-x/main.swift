// roost-fake-x: the fake X API of Sources/FakeXServer as a program, for examples/gateway.
//
//   roost-fake-x [--port 8471] [--brand acmecare] [--brand-id 1000000001] [--token TOKEN]
//                [--every SECONDS] [--seed N]
//
// Serves the X API v2 endpoints the Roost gateway uses on 127.0.0.1, and every SECONDS (0: never) adds a
// realistic customer tweet mentioning the brand. POST /fake/tweet {"username","text"[,"in_reply_to"]} adds one
// on demand; GET /fake/posted lists what the brand posted. Prints ids only, never tweet text.
import FakeXServer
import Foundation
import Logging
import RoostCore
import ServiceLifecycle

/// Writes a line to standard output at once (the walk-through reads it while this runs).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

let usage = """
    USAGE: roost-fake-x [--port 8471] [--brand acmecare] [--brand-id 1000000001] [--token TOKEN]
                        [--every SECONDS] [--seed N]

    Serves a fake of the X API v2 endpoints the Roost gateway uses on 127.0.0.1 (for tests and
    examples/gateway). Every SECONDS (0: never) it adds a customer tweet mentioning the brand.
    POST /fake/tweet {"username","text"[,"in_reply_to"]} adds one; GET /fake/posted lists the brand's posts.

    OPTIONS:
      --port N          TCP port on 127.0.0.1 (default 8471)
      --brand NAME      the brand's username (default acmecare)
      --brand-id ID     the brand's X user id (default 1000000001)
      --token TOKEN     the bearer token clients must send (default fake-x-token)
      --every SECONDS   seconds between generated tweets, 0 for none (default 0)
      --seed N          seed of the tweet generator (default 7)
      -h, --help        print this help and exit
    """

// --help answers before anything else happens: no port is opened, nothing is written.
if CommandLine.arguments.contains("--help") || CommandLine.arguments.contains("-h") {
    say(usage)
    exit(0)
}

func option(_ name: String, _ fallback: String) -> String {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: "--" + name), index + 1 < arguments.count else { return fallback }
    return arguments[index + 1]
}

guard let port = Int(option("port", "8471")), let every = Double(option("every", "0")), let seed = UInt64(option("seed", "7")) else {
    FileHandle.standardError.write(Data("roost-fake-x: --port, --every and --seed take numbers\n".utf8))
    exit(2)
}
let brand = FakeUser(id: option("brand-id", "1000000001"), username: option("brand", "acmecare"), name: "Acme Care",
                     verified: true, followers: 120_000)
let state = FakeXState(brand: brand, token: option("token", "fake-x-token"), pageSize: 10)

let customers = [
    FakeUser(id: "2000000101", username: "marta_lx", name: "Marta Silva", followers: 412),
    FakeUser(id: "2000000102", username: "ricardo_porto", name: "Ricardo Costa", followers: 88),
    FakeUser(id: "2000000103", username: "yuki_m", name: "Yuki Mori", followers: 1_530),
    FakeUser(id: "2000000104", username: "kenta_t", name: "Kenta Takahashi", followers: 240),
    FakeUser(id: "2000000105", username: "sam_nyc", name: "Sam Rivera", verified: true, followers: 56_000),
    FakeUser(id: "2000000106", username: "ines_b", name: "Inês Barros", followers: 35),
]
let cities = ["Lisbon", "Porto", "Tokyo", "Osaka", "Brooklyn", "Coimbra"]
let templates = [
    "@{brand} no signal in {city} since this morning, what's going on?",
    "@{brand} I've been charged twice for my plan this month. Can someone help?",
    "@{brand} your app keeps logging me out every 5 minutes",
    "@{brand} any outage in {city}? internet down for 2 hours now",
    "@{brand} my order #{n} still hasn't shipped, it's been a week",
    "@{brand} technician never showed up today in {city}. Again.",
    "@{brand} how do I move my contract to a new address in {city}?",
]

let logger = Logger(label: "roost-fake-x")
let server = try await RunningFakeX.start(state: state, port: port, logger: logger)
say("fake X API on \(server.baseURL) (brand @\(brand.username), user id \(brand.id))")

if every > 0 {
    var random = SplitMix64(seed: seed)
    var recent: [String: String] = [:]
    while true {
        try await Task.sleep(nanoseconds: UInt64(every * 1_000_000_000))
        let user = customers.randomElement(using: &random)!
        if let previous = recent[user.id], Int.random(in: 0..<4, using: &random) == 0 {
            let tweet = await state.tweet(from: user, text: "@\(brand.username) still waiting on this…", inReplyTo: previous)
            say("tweet \(tweet.id) from @\(user.username) (follow-up in \(tweet.conversationID))")
        } else {
            let text = templates.randomElement(using: &random)!
                .replacingOccurrences(of: "{brand}", with: brand.username)
                .replacingOccurrences(of: "{city}", with: cities.randomElement(using: &random)!)
                .replacingOccurrences(of: "{n}", with: String(Int.random(in: 10_000...99_999, using: &random)))
            let tweet = await state.tweet(from: user, text: text)
            recent[user.id] = tweet.id
            say("tweet \(tweet.id) from @\(user.username)")
        }
    }
} else {
    while true { try await Task.sleep(nanoseconds: 3_600_000_000_000) }
}
