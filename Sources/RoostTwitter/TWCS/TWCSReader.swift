public import Foundation

/// A streaming reader of the TWCS ("Customer Support on Twitter") CSV: each element is one record
/// or the reason it was rejected, and reading goes on after a rejected record.
///
/// Hand-written rather than built on a CSV package: of the two on the package list, yaslab/CSV.swift
/// 2.5.2 streams but does not report the line a row starts on, returns a quote left open at the end
/// of the file as an ordinary last field, and ends the read on its first error (`next()` returns nil);
/// swiftcsv/SwiftCSV 0.10.0 loads the whole file into one String (500 MB for the full dataset) and
/// reports no lines either. Quoted
/// fields here hold commas, doubled quotes and newlines, so the line a record starts on is tracked
/// byte by byte (see `CSVScanner`).
///
/// The header row is checked when the reader is made (exact column names, in order). The file is read
/// in chunks of ``TwitterLimits/readChunkBytes``; one record is held at a time. The reader holds an
/// open file: iterate it once, and do not iterate copies of it separately.
public struct TWCSReader: Sequence, IteratorProtocol {
    private var scanner: CSVScanner
    private var finished = false

    /// Opens the file at `url` and checks its header.
    public init(contentsOf url: URL, chunkSize: Int = TwitterLimits.readChunkBytes) throws(TWCSError) {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw .unreadable(reason: "cannot open \(url.lastPathComponent)")
        }
        try self.init(ChunkedBytes(file: handle, chunkSize: chunkSize))
    }

    /// Reads CSV bytes held in memory and checks their header. `chunkSize` only changes how the bytes
    /// are fed to the parser (tests use tiny chunks to cross every boundary).
    public init(data: Data, chunkSize: Int = TwitterLimits.readChunkBytes) throws(TWCSError) {
        try self.init(ChunkedBytes(data: data, chunkSize: chunkSize))
    }

    private init(_ bytes: ChunkedBytes) throws(TWCSError) {
        scanner = CSVScanner(bytes)
        guard let header = try scanner.nextRow() else { throw .badHeader(line: 1, reason: "the file is empty") }
        try Self.check(header)
    }

    private static func check(_ header: CSVRow) throws(TWCSError) {
        if let problem = header.problem { throw .badHeader(line: header.line, reason: problem.reason) }
        let expected = TWCSRecord.columns
        guard header.fields.count == expected.count else {
            throw .badHeader(line: header.line, reason: "\(header.fields.count) columns, expected \(expected.count)")
        }
        for (index, name) in expected.enumerated() {
            var bytes = header.fields[index]
            if index == 0, bytes.starts(with: byteOrderMark) { bytes.removeFirst(byteOrderMark.count) }
            guard bytes.elementsEqual(name.utf8) else {
                throw .badHeader(line: header.line, reason: "column \(index + 1) is not '\(name)'")
            }
        }
    }

    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The next record, or why the next record was rejected; nil at the end of the file.
    /// A read failure is returned once as `.unreadable` and ends the sequence.
    public mutating func next() -> Result<TWCSRecord, TWCSError>? {
        guard !finished else { return nil }
        let row: CSVRow?
        do {
            row = try scanner.nextRow()
        } catch {
            finished = true
            return .failure(error)
        }
        guard let row else {
            finished = true
            return nil
        }
        do {
            return .success(try TWCSFields.record(from: row))
        } catch {
            return .failure(error)
        }
    }
}
