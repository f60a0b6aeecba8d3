// Which storage backend the platform runs on, chosen in configuration; the composition root opens
// it (EisalPlatform's `openStore`). PostgreSQL joins as a second case with its own issue.

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

    /// Where files that belong beside the data live (demo credentials, TLS material, node locks).
    public var dataDirectory: String {
        switch self {
        case let .sqlite(path, _, _):
            guard let slash = path.lastIndex(of: "/") else { return "." }
            return slash == path.startIndex ? "/" : String(path[..<slash])
        }
    }
}
