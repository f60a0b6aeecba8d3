import ArgumentParser
import EisalCore
import EisalStore
import EisalStorePostgres
import EisalStoreSQLite
import Foundation

/// `eisal migrate`: brings a database's schema up to date, or moves a SQLite database into an
/// empty PostgreSQL one.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring a database's schema up to date (SQLite file or PostgreSQL URL); with --from, copy a SQLite database into an empty PostgreSQL one.",
        discussion: """
            `eisal serve` migrates on start as well (several nodes at once are safe: PostgreSQL's migrations run under an advisory lock); \
            run this to migrate before a rolling start, or to move to PostgreSQL:
              eisal migrate --database postgres://eisal:…@db:5432/eisal --from ./eisal-data/eisal.sqlite
            The PostgreSQL database must be empty (created, or only migrated). Stop the nodes that use the SQLite file first, and \
            give the PostgreSQL nodes the same callback sealing key ({data}/callback.key or notify.key) and, in sandbox mode, the \
            same {data}/signing/ folder (docs/deploy.md).
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(help: "A SQLite file to copy into the PostgreSQL --database.") var from: String?

    func run() async throws {
        let target: StoreConfiguration
        do { target = try StoreConfiguration.parse(database.path) } catch { throw ValidationError("\(error)") }
        switch target {
        case let .sqlite(path, _, _):
            guard from == nil else { throw ValidationError("--from copies into a PostgreSQL database: give --database postgres://…") }
            _ = try SQLiteStore(path: path) // opening migrates
            say("\(path): schema at \(SQLiteStore.migrationNames.last ?? "?") (\(SQLiteStore.migrationNames.count) migrations)")
        case let .postgres(settings):
            let store = try PostgresStore(settings)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await store.run() }
                defer { group.cancelAll() }
                try await store.migrate()
                let applied = try await store.appliedMigrations()
                say("\(settings.redactedURL): schema at \(applied.last ?? "?") (\(applied.count) migrations)")
                if let from { try await Self.copy(from: from, into: store) }
            }
        }
    }

    /// Copies every table of the SQLite file into `store`, in one transaction, and checks the row counts.
    static func copy(from path: String, into store: PostgresStore) async throws {
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no SQLite file at \(path)") }
        let source = try SQLiteStore(path: path)
        let counts: [(table: String, rows: Int)]
        do {
            counts = try await store.importAll(from: source) { table, rows in FileHandle.standardError.write(Data("eisal: \(table): \(rows) rows\n".utf8)) }
        } catch let error as StoreError where error.code == .conflict {
            throw ValidationError(error.message)
        }
        say(JSONWriter(indent: 2).string(.object(counts.map { ($0.table, .number(String($0.rows))) })))
        say("copied \(path) into \(store.settings.redactedURL); give its nodes this folder's callback.key (or notify.key) and signing/ (sandbox), then start them")
    }
}
