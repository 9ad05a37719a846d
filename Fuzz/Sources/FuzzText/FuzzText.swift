import Foundation
import RoostNode
import RoostTwitter

/// Fuzzes Roost's text inputs. The first byte picks a parser, the rest is the file's bytes:
/// - 0: the TWCS CSV reader (chunk size from the input, so records straddle chunk boundaries);
/// - 1: X API v2 JSONL pages;
/// - 2: the triage rules file (TOML), whose errors must name the file.
/// Each must return records or one error per bad record, and never trap or loop.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzText(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let selector = data[0]
    let bytes = Data(bytes: data + 1, count: size - 1)
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
