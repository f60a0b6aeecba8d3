// A real PostgreSQL server for the tests, and a fresh empty database per test.
//
// The server is the one given by POSTGRES_HOSTNAME / POSTGRES_PORT / POSTGRES_USER /
// POSTGRES_PASSWORD / POSTGRES_DB (as postgres-nio's own tests take it), or else a throwaway
// cluster this process starts once: `initdb` on a temporary directory and `postgres` on a free
// loopback port, from the newest /usr/lib/postgresql/*/bin (or PG_BIN). PostgreSQL refuses to run
// as root, so as root both run as the unprivileged `nobody` (setpriv). The server runs under a
// small shell that stops it and removes its directory when this process's end of a pipe closes:
// at exit, and also when the test process is killed.
//
// Without either, PostgreSQL tests fail with a message saying how to install it, unless
// EISAL_SKIP_POSTGRES=1 is set (then ``TestPostgres/isSkipped`` is true and they are left out).

import Foundation
import Synchronization
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
#if canImport(Glibc)
import Glibc
#endif

/// A database on the test server.
public struct TestDatabase: Sendable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String

    /// `postgres://user[:password]@host:port/database?pool_wait=120`: the tests' stores wait long
    /// for a connection, since the whole suite starting at once on two cores can make a new
    /// connection take longer than the product's default wait (a test of the wait sets its own).
    public var url: String {
        let credentials = password.map { "\(user):\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" } ?? user
        return "postgres://\(credentials)@\(host):\(port)/\(database)?pool_wait=120"
    }
}

extension TestDatabase {
    /// A plain connection to this database (or to `other` on the same server), for a test that
    /// acts behind the store's back. Close it when done.
    public func connect(to other: String? = nil, logger: Logger) async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration: .init(host: host, port: port, username: user, password: password, database: other ?? database, tls: .disable),
                                             id: 1, logger: logger)
    }
}

/// Why the test server could not be had.
public struct TestPostgresError: Error, CustomStringConvertible {
    public var description: String
}

/// The tests' PostgreSQL server.
public enum TestPostgres {
    /// EISAL_SKIP_POSTGRES=1: PostgreSQL tests are left out (never set in CI).
    public static var isSkipped: Bool { ProcessInfo.processInfo.environment["EISAL_SKIP_POSTGRES"] == "1" }

    /// A new, empty database named `{label}_{n}` on the test server.
    public static func freshDatabase(_ label: String = "t") async throws -> TestDatabase {
        let server = try await TestPostgresServer.shared.server()
        let name = "\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(UInt64.random(in: 0 ... .max) % 1_000_000_000_000)"
        try await server.execute("CREATE DATABASE \(name)")
        return TestDatabase(host: server.host, port: server.port, user: server.user, password: server.password, database: name)
    }
}

extension TestPostgres {
    /// `pg_dump` of the database named by `url` (on the test server), as text.
    public static func dump(_ url: String) async throws -> String {
        let server = try await TestPostgresServer.shared.server()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        let pgDump = TestPostgresServer.binaries().map { $0 + "/pg_dump" } ?? "pg_dump"
        let database = String(url.split(separator: "?").first?.split(separator: "/").last ?? "")
        process.arguments = ["-c", "\(pgDump) -h \(server.host) -p \(server.port) -U \(server.user) \(database)"]
        var environment = ProcessInfo.processInfo.environment
        if let password = server.password { environment["PGPASSWORD"] = password }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestPostgresError(description: "pg_dump \(database) failed") }
        return String(decoding: data, as: UTF8.self)
    }
}

/// The server, started once per process.
actor TestPostgresServer {
    static let shared = TestPostgresServer()

    struct Server: Sendable {
        var host: String
        var port: Int
        var user: String
        var password: String?
        var adminDatabase: String

        func execute(_ sql: String) async throws {
            var configuration = PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: adminDatabase, tls: .disable)
            configuration.options.connectTimeout = .seconds(10)
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Logger(label: "test-postgres"))
            do {
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test-postgres"))
            } catch {
                try? await connection.close()
                throw error
            }
            try await connection.close()
        }
    }

    /// The one start (callers arriving while it runs wait for it: the actor is re-entered at its awaits).
    private var starting: Task<Server, any Error>?
    /// The write end of the pipe the server's shell waits on (kept open for the process's life).
    private var lifeline: Pipe?

    func server() async throws -> Server {
        if let starting { return try await starting.value }
        let task = Task { try await self.start() }
        starting = task
        return try await task.value
    }

    private func start() async throws -> Server {
        let environment = ProcessInfo.processInfo.environment
        if let host = environment["POSTGRES_HOSTNAME"], !host.isEmpty {
            return Server(host: host, port: environment["POSTGRES_PORT"].flatMap(Int.init) ?? 5432, user: environment["POSTGRES_USER"] ?? "postgres",
                          password: environment["POSTGRES_PASSWORD"], adminDatabase: environment["POSTGRES_DB"] ?? "postgres")
        }
        guard let bin = Self.binaries() else {
            throw TestPostgresError(description: """
                PostgreSQL is needed by these tests and was not found: install its server (Debian: `apt-get install postgresql`, which puts \
                initdb and postgres under /usr/lib/postgresql/VERSION/bin; or set PG_BIN), or name a server with POSTGRES_HOSTNAME, POSTGRES_PORT, \
                POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB. To leave the PostgreSQL tests out, set EISAL_SKIP_POSTGRES=1.
                """)
        }
        let directory = "/tmp/eisal-pg-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let asRoot = getuid() == 0
        if asRoot { guard chown(directory, 65534, 65534) == 0 else { throw TestPostgresError(description: "cannot give \(directory) to nobody") } }
        let unprivileged = asRoot ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : ""
        try Self.shell("\(unprivileged)\(bin)/initdb -D \(directory)/data -U postgres -A trust -E UTF8 --locale=C --no-sync > \(directory)/initdb.log 2>&1",
                       failure: "initdb failed (\(directory)/initdb.log)")
        var lastError = ""
        for _ in 0 ..< 5 {
            let port = Self.freePort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            // Stopped (immediate shutdown) and removed when the pipe closes, however this process ends.
            process.arguments = ["-c", """
                \(unprivileged)\(bin)/postgres -D \(directory)/data -p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off \
                -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000 -c shared_buffers=128MB > \(directory)/server.log 2>&1 &
                pid=$!; cat > /dev/null; kill -QUIT $pid 2>/dev/null; wait $pid; rm -rf \(directory)
                """]
            let pipe = Pipe()
            process.standardInput = pipe
            try process.run()
            for _ in 0 ..< 150 {
                if (try? Self.shell("\(bin)/pg_isready -q -h 127.0.0.1 -p \(port)", failure: "")) != nil {
                    lifeline = pipe
                    atexit { TestPostgresServer.stopAtExit() }
                    Self.lifelineForExit.withLock { $0 = pipe }
                    return Server(host: "127.0.0.1", port: port, user: "postgres", password: nil, adminDatabase: "postgres")
                }
                if !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            lastError = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            try? pipe.fileHandleForWriting.close()
            process.waitUntilExit()
        }
        throw TestPostgresError(description: "the test PostgreSQL server did not start: \(lastError)")
    }

    private static let lifelineForExit = Mutex<Pipe?>(nil)

    /// Closes the lifeline at exit, so the server stops before the process is gone.
    private static func stopAtExit() {
        lifelineForExit.withLock { pipe in try? pipe?.fileHandleForWriting.close() }
    }

    /// The newest PostgreSQL server binaries on this machine.
    static func binaries() -> String? {
        if let given = ProcessInfo.processInfo.environment["PG_BIN"], FileManager.default.isExecutableFile(atPath: given + "/initdb") { return given }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        return versions.map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }

    @discardableResult
    static func shell(_ command: String, failure: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestPostgresError(description: failure) }
        return 0
    }

    /// A loopback port nothing listens on now.
    static func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
