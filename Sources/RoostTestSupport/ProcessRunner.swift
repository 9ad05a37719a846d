public import Foundation

/// How a program run by a test ended and what it printed.
public struct ProcessOutput: Sendable, Equatable {
    /// The exit status (or the signal number when it was killed).
    public var status: Int32
    /// Everything written to standard output, as UTF-8.
    public var stdout: String
    /// Everything written to standard error, as UTF-8.
    public var stderr: String
    /// Whether the runner's deadline passed and it terminated the program.
    public var timedOut: Bool

    public init(status: Int32, stdout: String, stderr: String, timedOut: Bool = false) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.timedOut = timedOut
    }
}

/// The executables this package builds, found beside the running test bundle.
public enum BuiltProduct {
    /// The build's products directory (`.build/debug` or `.build/release`).
    public static var directory: URL {
        #if os(macOS)
        Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }!.bundleURL.deletingLastPathComponent()
        #else
        Bundle.main.bundleURL
        #endif
    }

    /// The built executable `name` (e.g. `roost`, `roost-inspect`).
    public static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
}

/// Runs one program the way a user's shell would, for end-to-end tests: this process's environment minus the
/// variables that would point it at the developer's own node (`ROOST_HOME` and any listed in `removing`), plus
/// `environment`; standard input empty.
public struct ProcessRunner: Sendable {
    public var executable: URL
    /// Arguments appended after every call's own (e.g. `--home <dir>`).
    public var trailingArguments: [String]
    /// Variables set for the program, over this process's.
    public var environment: [String: String]
    /// Variables removed from this process's environment before `environment` is applied.
    public var removing: [String]
    /// The working directory; this process's when nil.
    public var currentDirectory: URL?

    public init(_ executable: URL, trailingArguments: [String] = [], environment: [String: String] = [:],
                removing: [String] = [], currentDirectory: URL? = nil) {
        self.executable = executable
        self.trailingArguments = trailingArguments
        self.environment = environment
        self.removing = ["ROOST_HOME"] + removing
        self.currentDirectory = currentDirectory
    }

    /// A built executable of this package, e.g. `ProcessRunner(product: "roost")`.
    public init(product: String, trailingArguments: [String] = [], environment: [String: String] = [:], removing: [String] = []) {
        self.init(BuiltProduct.url(product), trailingArguments: trailingArguments, environment: environment, removing: removing)
    }

    /// A configured, not yet started `Process` (for daemons a test starts, reads and stops itself).
    public func process(_ arguments: [String], environment extra: [String: String] = [:]) -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments + trailingArguments
        var env = ProcessInfo.processInfo.environment
        for key in removing { env.removeValue(forKey: key) }
        for (key, value) in environment.merging(extra, uniquingKeysWith: { $1 }) { env[key] = value }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        process.standardInput = FileHandle.nullDevice
        return process
    }

    /// Runs to the end and returns what it printed. With `timeoutSeconds`, a program still running then is sent
    /// SIGTERM (SIGKILL 5 s later) and the output says `timedOut`.
    @discardableResult
    public func run(_ arguments: [String], environment extra: [String: String] = [:], timeoutSeconds: Double? = nil) throws -> ProcessOutput {
        let process = process(arguments, environment: extra)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let watchdog = timeoutSeconds.map { Watchdog(process, seconds: $0) }
        // Both pipes are drained at once: a program that fills one while we block on the other would never exit.
        // Standard error is read on a thread of its own, not a Dispatch worker: with every worker busy (a full
        // parallel test run on 2 cores) a queued reader would wait for a free one while this thread waits for it.
        let errData = LockedData()
        let errDone = DispatchSemaphore(value: 0)
        Thread {
            errData.set(err.fileHandleForReading.readDataToEndOfFile())
            errDone.signal()
        }.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        errDone.wait()
        process.waitUntilExit()
        let timedOut = watchdog?.cancel() ?? false
        return ProcessOutput(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: errData.get(), as: UTF8.self), timedOut: timedOut)
    }

    /// ``run(_:environment:timeoutSeconds:)`` waited for on a thread of its own. Async tests use it: a command that
    /// runs for seconds must not hold one of the two cooperative threads of a 2-core machine, or in-process servers
    /// of the same test (a fake X API, a node) starve and time out.
    @discardableResult
    public func runOffPool(_ arguments: [String], environment extra: [String: String] = [:],
                           timeoutSeconds: Double? = nil) async throws -> ProcessOutput {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try self.run(arguments, environment: extra, timeoutSeconds: timeoutSeconds) })
            }.start()
        }
    }
}

/// Terminates a process that outlives its deadline.
private final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var fired = false

    init(_ process: Process, seconds: Double) {
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            lock.lock()
            defer { lock.unlock() }
            guard !cancelled, process.isRunning else { return }
            fired = true
            process.terminate()
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + 5) { if process.isRunning { kill(pid, SIGKILL) } }
        }
    }

    /// Disarms the watchdog; answers whether it had already terminated the process (read under the lock it is
    /// set under).
    func cancel() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        cancelled = true
        return fired
    }
}

private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}
