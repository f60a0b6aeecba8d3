// The shared backend: PostgresNIO on a PostgreSQL server, for several stateless platform nodes on
// one database. Every state change is one transaction; nothing relies on one process: receipt
// UUIDs are unique in the table, a seller's sequence numbers are reserved under the sequence row's
// lock (so they follow commit order, as SQLite's single writer makes them), jobs are claimed with
// `FOR UPDATE SKIP LOCKED`, and the notification outbox orders its writers against delivery with
// a lock on the recipient's callback row (PostgresStore+Notifications.swift says why).
//
// Every method throws only ``StoreError``: PostgresNIO's errors are translated here.
//
// The store is split by concern like the SQLite one: schema, registry, submissions (with texts),
// receipts and their rule queries, jobs, notifications, life cycle.

import EisalCore
import Foundation
import EisalStore
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import ServiceLifecycle

/// A ``PlatformStore`` on a PostgreSQL database. Run it (``run()``, or as a `Service` in the
/// platform's `ServiceGroup`) for as long as it is used, and ``migrate()`` it once before use.
public final class PostgresStore: PlatformStore, Service {
    /// In which order new document keys are given; as ``SQLiteStore``'s, for the conformance suite.
    public enum KeyOrder: Sendable {
        case ascending, descending
    }

    let client: PostgresClient
    let logger: Logger
    /// The settings the store was opened with.
    public let settings: PostgresSettings
    let keyOrder: KeyOrder
    /// Leases asked for by store calls, taken by ``run()`` (PostgresStore+Lease.swift).
    let leaseRequests: AsyncStream<LeaseHandoff>
    let leaseRequester: AsyncStream<LeaseHandoff>.Continuation

    /// A store on the database `settings` name (no connection is made before ``run()``).
    public init(_ settings: PostgresSettings, keyOrder: KeyOrder = .ascending, logger: Logger = Logger(label: "eisal.postgres")) throws {
        self.settings = settings
        self.keyOrder = keyOrder
        self.logger = logger
        let tls: PostgresClient.Configuration.TLS
        switch settings.tls {
        case .disable:
            tls = .disable
        case .prefer:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            tls = .prefer(configuration)
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let root = settings.rootCertificatePath { configuration.trustRoots = .file(root) }
            tls = .require(configuration)
        }
        var configuration = PostgresClient.Configuration(host: settings.host, port: settings.port, username: settings.user, password: settings.password,
                                                         database: settings.database, tls: tls)
        configuration.options.maximumConnections = max(1, settings.poolSize)
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(10)
        // Sessions report times in UTC, and commit without waiting for the WAL flush unless a
        // transaction asks for it (``writing(synced:_:)``): job bookkeeping is then one statement.
        // Prepared statements use PostgreSQL's own choice between a plan for each call's values and
        // a generic one (`auto`, set here whatever the server's default): the hot statements'
        // generic plans take their arrays as a few rows (nested loops over the indexes, as the
        // planned-per-call ones do), and planning each call cost about a quarter of a core at
        // 7,000 receipts/s (pg_stat_statements' plan times: 1.1 s against 0.56 s for 30,000
        // receipts). A statement whose generic plan would cost more stays planned per call.
        configuration.options.additionalStartupParameters = [("application_name", "eisal"), ("TimeZone", "UTC"), ("synchronous_commit", "off"),
                                                              ("plan_cache_mode", "auto")]
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        (leaseRequests, leaseRequester) = AsyncStream.makeStream(of: LeaseHandoff.self)
    }

    /// Runs the connection pool, and takes the leases store calls ask for, until the task is
    /// cancelled or the service group shuts down.
    public func run() async throws {
        await runPoolAndLeases()
    }

    // MARK: Transactions

    /// A read on one pooled connection.
    func reading<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await leased { connection in try await body(connection) }
        } catch {
            throw Self.storeError(error)
        }
    }

    /// One query's rows.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await reading { connection in try await connection.rows(query, self.logger) }
    }

    /// One query's rows, each read by `read`. A row this version cannot read is
    /// ``StoreError/Code/corrupt`` here too, not PostgresNIO's error (the store throws only ``StoreError``).
    func rows<T>(_ query: PostgresQuery, _ read: (PostgresRow) throws -> T) async throws -> [T] {
        let rows = try await rows(query)
        return try Self.decoding { try rows.map(read) }
    }

    /// Reads rows already fetched: a decoding error becomes ``StoreError/Code/corrupt``.
    static func decoding<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw storeError(error) }
    }

    /// A transaction. Its commit waits for the server's WAL flush (`synchronous_commit = on`)
    /// when durability is full, unless `synced: false` (job bookkeeping: losing it to a power cut
    /// only makes a job run again, as on SQLite); with durability `normal` no commit waits.
    @discardableResult
    func writing<T: Sendable>(synced: Bool = true, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let sync = synced && settings.durability == .full
        do {
            return try await leased { connection in
                try await connection.transaction(logger) { connection in
                    if sync { try await connection.rows("SET LOCAL synchronous_commit = on", self.logger) }
                    return try await body(connection)
                }
            }
        } catch {
            throw Self.storeError(error)
        }
    }

    /// `synchronous_commit` as a write transaction of this store sees it (`synced`: as intake's
    /// commit; not: as job bookkeeping): `on` when its commit waits for the WAL flush.
    /// (Intake's commit is one statement that sets it itself, for its own transaction; `synced: true`
    /// asks as that statement does.)
    public func synchronousCommit(synced: Bool) async throws -> String {
        if synced {
            let rows = try await unsyncedStatement("""
                SELECT current_setting('synchronous_commit') FROM (SELECT set_config('synchronous_commit', \(settings.durability == .full ? "on" : "off"), true)) AS durability
                """)
            return try Self.decoding { try rows.first?.decode(String.self) ?? "" }
        }
        return try await writing(synced: false) { c in try await c.rows("SHOW synchronous_commit", self.logger).first?.decode(String.self) ?? "" }
    }

    /// A hot statement: prepared once per connection under its shape's name (no parsing or
    /// planning per call), run on its own (its own transaction, not synced unless it says so).
    /// `query` is the statement built as usual; its text must be the shape's.
    func prepared<Shape: PreparedShape>(_ shape: Shape.Type, _ query: PostgresQuery) async throws -> [PostgresRow] {
        precondition(query.sql == Shape.sql, "the statement's text is its shape's")
        do {
            var rows: [PostgresRow] = []
            try await leased { connection in
                try connection.ensureOpen()
                for try await row in try await connection.execute(PreparedQuery<Shape>(binds: query.binds), logger: logger) { rows.append(row) }
            }
            return rows
        } catch {
            throw Self.storeError(error)
        }
    }

    /// One statement on its own (its own transaction, not synced): one round trip.
    @discardableResult
    func unsyncedStatement(_ query: PostgresQuery) async throws -> [PostgresRow] {
        do {
            return try await leased { connection in try await connection.rows(query, logger) }
        } catch {
            throw Self.storeError(error)
        }
    }

    // MARK: Errors

    /// PostgresNIO's error as the store reports it. A lost or refused connection, a serialization
    /// failure or deadlock (the transaction was rolled back), a server shutting down or out of
    /// resources: ``StoreError/Code/unavailable`` (retry). A constraint: ``StoreError/Code/conflict``.
    /// Anything else (a schema or data this version did not write): ``StoreError/Code/corrupt``.
    static func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PostgresTransactionError {
            if let inner = error.closureError ?? error.beginError ?? error.commitError { return storeError(inner) }
            return .unavailable("PostgreSQL transaction failed")
        }
        // A row this version cannot read: stored data is not what it wrote.
        if let error = error as? PostgresDecodingError { return .corrupt("PostgreSQL row not readable: \(String(reflecting: error))") }
        guard let error = error as? PSQLError else { return .unavailable(String(describing: error)) }
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else {
            return .unavailable("PostgreSQL \(error.code)")
        }
        let message = "PostgreSQL \(state): \(error.serverInfo?[.message] ?? "")"
        switch state.prefix(2) {
        case "23": return .conflict(message)
        case "08", "40", "53", "55", "57", "58", "25": return .unavailable(message)
        default: return .corrupt(message)
        }
    }

    // MARK: Rows

    /// The columns ``receipt(_:)`` reads, in its order (the text's place after them, when asked).
    static let receiptColumns = StoredValues.documentColumns

    /// Receipt rows without their texts.
    static let selectReceipts = "SELECT \(receiptColumns) FROM receipts r"
    /// Receipt rows with where their texts are (columns 28–31: a v2 body's id, the submission
    /// text's id, offset and length); ``withTexts(_:_:)`` reads them.
    static let selectReceiptsWithText = "SELECT \(receiptColumns.split(separator: ",").map { "r." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")), (SELECT b.id FROM receipt_bodies b WHERE b.id = r.id), r.text_id, r.text_offset, r.text_length FROM receipts r"

    static func receipt(_ row: PostgresRow) throws -> DocumentRecord {
        let c = row.makeRandomAccess()
        return DocumentRecord(
            uuid: try c[0].decode(String.self), submissionUUID: try c[1].decode(String.self), longId: try c[2].decode(String.self),
            receiptNumber: try c[3].decode(String.self), position: Int(try c[4].decode(Int64.self)), sellerRIN: try c[5].decode(String.self),
            sellerName: try c[6].decode(String.self), branchCode: try c[7].decode(String.self), posSerial: try c[8].decode(String.self),
            buyerType: try c[9].decode(String.self), buyerId: try c[10].decode(String.self), buyerName: try c[11].decode(String.self),
            receiptType: try c[12].decode(String.self), typeVersion: try c[13].decode(String.self), currency: try c[14].decode(String.self),
            totalAmount: try c[15].decode(String.self), exchangeRate: try c[16].decode(String.self), paymentMethod: try c[17].decode(String.self),
            dateTimeIssued: try c[18].decode(String.self), issuedAt: try c[19].decode(Int64.self), receivedAt: try c[20].decode(Int64.self),
            previousUUID: try c[21].decode(String.self), referenceUUID: try c[22].decode(String.self),
            status: DocumentStatus(rawValue: try c[23].decode(String.self)) ?? .submitted, errors: StoredValues.errors(try c[24].decode(String.self)),
            raw: [], sellerSequence: try c[26].decode(Int64.self), family: try c[27].decode(String.self)
        )
    }

    static func bytes(_ buffer: ByteBuffer?) -> [UInt8] {
        guard var buffer else { return [] }
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }
}

/// A statement prepared once per connection: its text is built once, from its query with
/// placeholder values (a query's text never depends on its values).
protocol PreparedShape {
    static var sql: String { get }
}

/// A ``PreparedShape`` run with one call's values.
struct PreparedQuery<Shape: PreparedShape>: PostgresPreparedStatement {
    typealias Row = PostgresRow
    static var sql: String { Shape.sql }
    static var name: String { "eisal_\(Shape.self)" }
    let binds: PostgresBindings
    func makeBindings() throws -> PostgresBindings { binds }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

extension PostgresConnection {
    /// Runs `query`; its rows.
    @discardableResult
    func rows(_ query: PostgresQuery, _ logger: Logger) async throws -> [PostgresRow] {
        try ensureOpen()
        return try await self.query(query, logger: logger).collect()
    }

    /// Fails (unavailable) on a connection whose session the server has ended. PostgresNIO loses a
    /// statement written to a connection whose channel has already closed (its write fails where
    /// nothing sees it) and its caller waits forever; the pool may still hand such a connection
    /// out (seen after `pg_terminate_backend`: 3 of 18 tries under load), and a transaction's
    /// ROLLBACK after its connection died would be written so too. Every statement of the store
    /// checks first.
    func ensureOpen() throws {
        if isClosed { throw StoreError.unavailable("the database ended this connection's session (a restart, a failover or an administrator)") }
    }

    /// `body` in a transaction: as PostgresNIO's `withTransaction`, but every statement is checked
    /// by ``ensureOpen()``, and no ROLLBACK is sent on a closed connection (the server has rolled back).
    func transaction<T>(_ logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await rows("BEGIN", logger)
        let value: T
        do {
            value = try await body(self)
        } catch {
            if !isClosed { _ = try? await rows("ROLLBACK", logger) }
            throw error
        }
        try await rows("COMMIT", logger)
        return value
    }
}
