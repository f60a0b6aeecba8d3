// Which storage backend the platform runs on, chosen in configuration; the composition root opens
// it (EisalPlatform's `withPlatform`): the embedded SQLite file, or a PostgreSQL database shared by
// several platform nodes.

import Foundation

/// How commits reach the disk.
public enum Durability: String, Sendable, Hashable, CaseIterable {
    /// Every commit is synced (survives power loss).
    case full
    /// Commits survive a killed process; the last ones may be lost to a power cut.
    case normal
}

/// The storage backend and its settings.
public enum StoreConfiguration: Sendable, Hashable {
    /// The embedded default: a SQLite file (WAL). `busyTimeout`: how long a write waits for the
    /// file's lock before the store reports ``StoreError/Code/unavailable``.
    case sqlite(path: String, durability: Durability = .full, busyTimeout: Duration = .seconds(10))
    /// A PostgreSQL database, shared by every node that names it.
    case postgres(PostgresSettings)

    /// Where files that belong beside the data live (demo credentials, TLS material, node locks):
    /// the SQLite file's folder, or ``PostgresSettings/dataDirectory``.
    public var dataDirectory: String {
        switch self {
        case let .sqlite(path, _, _):
            guard let slash = path.lastIndex(of: "/") else { return "." }
            return slash == path.startIndex ? "/" : String(path[..<slash])
        case let .postgres(settings):
            return settings.dataDirectory
        }
    }

    /// The store as start-up prints it: the SQLite file, or the PostgreSQL URL without its password.
    public var description: String {
        switch self {
        case let .sqlite(path, _, _): path
        case let .postgres(settings): settings.redactedURL
        }
    }

    /// The store a `database` setting names: a `postgres://` or `postgresql://` URL, otherwise a
    /// SQLite file path. `dataDirectory` is used for PostgreSQL only (SQLite keeps its files beside the database file).
    public static func parse(_ database: String, durability: Durability = .full, busyTimeout: Duration = .seconds(10), dataDirectory: String = "./eisal-data",
                             poolSize: Int? = nil) throws -> StoreConfiguration {
        guard PostgresSettings.isURL(database) else { return .sqlite(path: database, durability: durability, busyTimeout: busyTimeout) }
        var settings = try PostgresSettings(url: database, dataDirectory: dataDirectory)
        settings.durability = durability
        if let poolSize { settings.poolSize = poolSize }
        return .postgres(settings)
    }
}

/// Where a PostgreSQL database is and how the platform uses it.
public struct PostgresSettings: Sendable, Hashable {
    /// TLS to the database server.
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP (loopback, or a private network you trust).
        case disable
        /// TLS when the server offers it, certificate not verified.
        case prefer
        /// TLS required, the server's certificate verified against the system's roots (or
        /// ``PostgresSettings/rootCertificatePath``).
        case require
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// With `require`: a PEM file of the CA certificates the server's certificate must chain to
    /// (`sslrootcert=`), instead of the system's roots.
    public var rootCertificatePath: String?
    /// The most connections this node opens (each node has its own pool; the server's
    /// `max_connections` must cover every node's).
    public var poolSize: Int
    /// How long a store call waits for a pooled connection before it fails as unavailable (503
    /// with Retry-After): a database that stops answering then costs a caller this long, not the
    /// pool's own minute before it gives up (`pool_wait=` seconds in the URL).
    public var poolWait: Duration = .seconds(10)
    /// `full`: every commit waits for the server's WAL flush; `normal`: job bookkeeping commits
    /// with `synchronous_commit = off` (see docs/deploy.md).
    public var durability: Durability
    /// Where this node keeps its local files (TLS material, node locks, demo credentials, the
    /// callback sealing key unless configured).
    public var dataDirectory: String

    public init(host: String = "127.0.0.1", port: Int = 5432, user: String, password: String? = nil, database: String, tls: TLSMode = .disable,
                poolSize: Int = 16, durability: Durability = .full, dataDirectory: String = "./eisal-data") {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
        self.poolSize = poolSize
        self.durability = durability
        self.dataDirectory = dataDirectory
    }

    /// Why a database URL was refused.
    public struct URLError: Error, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// Whether `text` is a PostgreSQL URL.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Reads `postgres://user:password@host:port/database?sslmode=disable|prefer|require&sslrootcert=FILE&pool=N&pool_wait=SECONDS`
    /// (libpq's `sslmode` names; `verify-full` and `verify-ca` mean `require`).
    public init(url text: String, dataDirectory: String = "./eisal-data") throws {
        guard Self.isURL(text), let url = URLComponents(string: text), let host = url.host, !host.isEmpty else {
            throw URLError(description: "database: not a PostgreSQL URL (postgres://user:password@host:port/database): '\(Self.redact(text))'")
        }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw URLError(description: "database: the URL names no database (…/database): '\(Self.redact(text))'") }
        guard let user = url.user, !user.isEmpty else { throw URLError(description: "database: the URL names no user (postgres://user@…): '\(Self.redact(text))'") }
        // URLComponents gives the user, password and path percent-decoded.
        self.init(host: host, port: url.port ?? 5432, user: user, password: url.password, database: database, dataDirectory: dataDirectory)
        for item in url.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                switch item.value ?? "" {
                case "disable", "allow": tls = .disable
                case "prefer": tls = .prefer
                case "require", "verify-ca", "verify-full": tls = .require
                default: throw URLError(description: "database: sslmode must be disable, prefer or require, not '\(item.value ?? "")'")
                }
            case "sslrootcert":
                guard let path = item.value, !path.isEmpty else { throw URLError(description: "database: sslrootcert names no file") }
                rootCertificatePath = path
            case "pool", "pool_max_conns":
                guard let size = item.value.flatMap(Int.init), (1 ... 1_000).contains(size) else {
                    throw URLError(description: "database: pool must be a number of connections from 1 to 1000, not '\(item.value ?? "")'")
                }
                poolSize = size
            case "pool_wait":
                guard let seconds = item.value.flatMap(Double.init), seconds > 0, seconds <= 3_600 else {
                    throw URLError(description: "database: pool_wait must be a number of seconds above 0 and at most 3600, not '\(item.value ?? "")'")
                }
                poolWait = .milliseconds(Int64(seconds * 1000))
            default:
                throw URLError(description: "database: unknown URL parameter '\(item.name)' (known: sslmode, sslrootcert, pool, pool_wait)")
            }
        }
    }

    /// The URL without the password.
    public var redactedURL: String {
        "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }

    static func redact(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? text
    }
}
