import Foundation
import RoostCore
import RoostNode
import RoostTwitter

/// Fuzzes Roost's text inputs. The first byte picks a parser, the rest is the file's bytes:
/// - 0: the TWCS CSV reader (chunk size from the input, so records straddle chunk boundaries);
/// - 1: X API v2 JSONL pages;
/// - 2: the triage rules file (TOML), whose errors must name the file;
/// - first byte 250: a search query, whose error must name a position inside it (or just after it);
/// - first byte 251: a tweet's language (none, or a 2-3 letter code) and sentiment (a score in -1...1);
/// - first byte 252: the desk policy file (errors name the file); a policy that parses must give every queue's
///   clocks a due time at or after their start, with the warning between the two, for starts across a year.
/// Each must return records or one error per bad record, and never trap or loop.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzText(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let selector = data[0]
    let bytes = Data(bytes: data + 1, count: size - 1)
    if selector == 252 {
        guard let text = String(data: bytes, encoding: .utf8) else { return 0 }
        let policy: DeskPolicy
        do {
            policy = try DeskPolicy.parse(text, file: "desk.toml")
        } catch {
            if !"\(error)".hasPrefix("desk.toml") { fatalError("fuzz: a policy error does not name the file: \(error)") }
            return 0
        }
        for queue in policy.queues {
            // Starts spread over 2026 (ms), from the input's size so runs differ.
            for step in 0..<4 {
                let start = 1_767_225_600_000 + Int64((size * 7_919 + step * 7_776_000) % 31_536_000) * 1_000
                for minutes in [1, 61, 10_080] {
                    let due = queue.sla.due(from: start, minutes: minutes)
                    let warn = queue.sla.warnAt(from: start, minutes: minutes)
                    if due < start || warn < start || warn > due {
                        fatalError("fuzz: queue \(queue.name): start \(start), \(minutes) min: warn \(warn), due \(due)")
                    }
                }
            }
        }
        return 0
    }
    if selector == 250 || selector == 251 {
        guard let text = String(data: bytes, encoding: .utf8) else { return 0 }
        if selector == 250 {
            do {
                _ = try SearchQuery.parse(text)
            } catch {
                let length = min(text.unicodeScalars.count, SearchLimits.maxQueryCharacters)
                if error.position < 1 || error.position > length + 1 { fatalError("fuzz: search error position \(error.position) outside the query") }
            }
        } else {
            if let code = TweetLanguage.detect(text), !(2...3).contains(code.count) || !code.allSatisfy({ $0 >= "a" && $0 <= "z" }) {
                fatalError("fuzz: language \(code) is not a code")
            }
            let score = TweetSentiment.score(text)
            if !(score >= -1 && score <= 1) { fatalError("fuzz: sentiment \(score) outside -1...1") }
        }
        return 0
    }
    switch selector % 3 {
    case 0:
        let chunk = 1 + Int(selector / 3) % 64
        guard var reader = try? TWCSReader(data: bytes, chunkSize: chunk) else { return 0 }
        var results = 0
        while let result = reader.next() {
            results += 1
            // A record is at least one byte of input; more results than bytes means the reader is not advancing.
            if results > bytes.count + 1 { fatalError("fuzz: TWCS reader yields more records than input bytes") }
            _ = result
        }
    case 1:
        let result = XPayload.parse(jsonl: bytes)
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
        if result.errors.count > lines { fatalError("fuzz: more X payload errors than lines") }
    default:
        guard let text = String(data: bytes, encoding: .utf8) else { return 0 }
        do {
            _ = try TriageRules.parse(text, file: "rules.toml")
        } catch {
            if !"\(error)".hasPrefix("rules.toml") { fatalError("fuzz: a rules error does not name the file: \(error)") }
        }
    }
    return 0
}
