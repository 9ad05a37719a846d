public import Foundation

/// A PostgreSQL server of its own for one test: Debian's `postgresql` binaries (`make test` installs the package),
/// a fresh cluster in a temporary directory, trust authentication on 127.0.0.1 and a free port, no fsync. As root
/// the server runs as the `postgres` user (PostgreSQL refuses root). ``stop()`` ends it and removes the files.
public final class TestPostgres: Sendable {
    /// The connection URL (`postgres://roost@127.0.0.1:PORT/postgres?sslmode=disable`).
    public let url: String
    /// The server's port.
    public let port: Int
    private let directory: URL
    private let bin: URL
    private let runAs: String?

    /// Why no server could be started.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The directory holding `initdb` and `pg_ctl`: the newest /usr/lib/postgresql/N/bin, else the PATH.
    public static func binaries() -> URL? {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for version in versions {
            let bin = root.appendingPathComponent("\(version)/bin")
            if FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("pg_ctl").path) { return bin }
        }
        for path in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let bin = URL(fileURLWithPath: String(path))
            if FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("pg_ctl").path),
               FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path) { return bin }
        }
        return nil
    }

    /// Creates a cluster and starts its server (a few seconds).
    public init() throws {
        guard let bin = Self.binaries() else {
            throw Failure(description: "PostgreSQL's server programs (initdb, pg_ctl) are not installed: `make test` installs Debian's postgresql package")
        }
        self.bin = bin
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.directory = directory
        runAs = getuid() == 0 ? "postgres" : nil
        if let user = runAs {
            guard let entry = getpwnam(user) else { throw Failure(description: "running as root and there is no \(user) user") }
            chown(directory.path, entry.pointee.pw_uid, entry.pointee.pw_gid)
        }
        port = freePort()
        url = "postgres://roost@127.0.0.1:\(port)/postgres?sslmode=disable"
        let data = directory.appendingPathComponent("data").path
        try run("initdb", ["-D", data, "-A", "trust", "-U", "roost", "-E", "UTF8", "--locale=C", "--no-sync"])
        try run("pg_ctl", ["-D", data, "-l", directory.appendingPathComponent("server.log").path, "-w", "-t", "60",
                           "-o", "-p \(port) -k \(directory.path) -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
                           "start"])
    }

    /// Stops the server at once and removes its files.
    public func stop() {
        try? run("pg_ctl", ["-D", directory.appendingPathComponent("data").path, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `psql` on the server and returns what it prints (unaligned, tuples only), for checks outside the
    /// code under test.
    public func psql(_ sql: String) throws -> String {
        try run("psql", ["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", "roost",
                         "-d", "postgres", "-c", sql])
    }

    /// Runs a SQL file with psql variables (`-v name=value`) and returns its rows, fields split on tabs.
    public func psql(file: URL, variables: [String: String]) throws -> [[String]] {
        let arguments = ["-X", "-A", "-t", "-q", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)",
                         "-U", "roost", "-d", "postgres"]
            + variables.sorted { $0.key < $1.key }.flatMap { ["-v", "\($0.key)=\($0.value)"] } + ["-f", file.path]
        return try run("psql", arguments).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Runs a program to its end with posix_spawn and waitpid, its output in files. Not Foundation's `Process`: on
    /// Linux it learns of the exit through a descriptor the child inherits, which the server `pg_ctl start`
    /// leaves behind keeps open, so `waitUntilExit` would wait for the server's end.
    @discardableResult
    private func run(_ program: String, _ arguments: [String]) throws -> String {
        var full = [bin.appendingPathComponent(program).path] + arguments
        if program == "psql", !FileManager.default.isExecutableFile(atPath: full[0]) { full[0] = "/usr/bin/psql" }
        if let user = runAs, program != "psql" { full = ["/usr/sbin/runuser", "-u", user, "--"] + full }
        let id = UUID().uuidString.prefix(8)
        let outPath = directory.appendingPathComponent("\(program)-\(id).out").path
        let errPath = directory.appendingPathComponent("\(program)-\(id).err").path
        defer { unlink(outPath); unlink(errPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = full.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, full[0], &actions, nil, argv, environ)
        guard spawned == 0 else { throw Failure(description: "cannot start \(program): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            let errors = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            throw Failure(description: "\(program) failed (wait status \(status)): \(errors)")
        }
        return output
    }
}
