import Foundation
import Testing

/// The shared TWCS sample (`../shared/data/twcs-sample.csv` beside the checkout), found from this file's
/// path; tests that need it are disabled with a message when it is absent.
enum SampleFile {
    static let url: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // RoostTwitterTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repo root
        .deletingLastPathComponent()  // beside the checkout
        .appendingPathComponent("shared/data/twcs-sample.csv")

    static var isPresent: Bool { FileManager.default.fileExists(atPath: url.path) }

    static let absent: Comment = "the TWCS sample ../shared/data/twcs-sample.csv is absent; skipped"
}

