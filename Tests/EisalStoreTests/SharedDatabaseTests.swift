import EisalCore
import EisalStore
import EisalStorePostgres
import EisalStoreSQLite
import EisalTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

/// Several nodes on one database: two stores opened on the same database (two SQLite connections
/// pools on one file; two PostgreSQL connection pools on one database), used at the same time.
/// What must hold across nodes is held by the database, not by one store's process.
@Suite("Store conformance: two nodes on one database")
struct SharedDatabaseTests {
    /// Two stores on one fresh database of `backend`, both running.
    static func withTwoNodes(_ backend: Backend, _ body: (any PlatformStore, any PlatformStore) async throws -> Void) async throws {
        switch backend {
        case .sqlite, .sqliteDescendingKeys:
            let directory = try TemporaryDirectory("two-nodes")
            defer { directory.remove() }
            let order: SQLiteStore.KeyOrder = backend == .sqlite ? .ascending : .descending
            try await body(try SQLiteStore(path: directory.file("eisal.sqlite"), keyOrder: order), try SQLiteStore(path: directory.file("eisal.sqlite"), keyOrder: order))
        case .postgres, .postgresDescendingKeys:
            let database = try await TestPostgres.freshDatabase("nodes")
            var settings = try PostgresSettings(url: database.url)
            settings.poolSize = 6
            let order: PostgresStore.KeyOrder = backend == .postgres ? .ascending : .descending
            let first = try PostgresStore(settings, keyOrder: order), second = try PostgresStore(settings, keyOrder: order)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await first.run() }
                group.addTask { try await second.run() }
                defer { group.cancelAll() }
                try await first.migrate()
                try await second.migrate()
                try await body(first, second)
            }
        }
    }

    /// The same documents committed by two nodes at the same moment are stored once: one commit
    /// has them all, the other none (each of 20 rounds).
    @Test(arguments: Backend.all)
    func theSameDocumentsCommittedOnTwoNodesAtOnceAreStoredOnce(_ backend: Backend) async throws {
        try await Self.withTwoNodes(backend) { a, b in
            for round in 0 ..< 20 {
                let documents = (0 ..< 5).map { Fixture.document("r\(round)-\($0)", in: "") }
                async let first = Fixture.commit(a, "A\(round)", documents)
                async let second = Fixture.commit(b, "B\(round)", documents)
                let outcomes = try await [first.duplicates.count, second.duplicates.count].sorted()
                #expect(outcomes == [0, 5], "round \(round): \(outcomes)")
            }
            #expect(try await a.pendingJobCount() == 20)
        }
    }

    /// Eight workers on two nodes claim 60 jobs until none is left: each job is claimed once.
    @Test(arguments: Backend.all)
    func jobsClaimedByWorkersOnTwoNodesAreEachClaimedOnce(_ backend: Backend) async throws {
        try await Self.withTwoNodes(backend) { a, b in
            for n in 0 ..< 60 { try await Fixture.commit(n % 2 == 0 ? a : b, "S\(n)", [Fixture.document("d\(n)", in: "")]) }
            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for worker in 0 ..< 8 {
                    let store = worker % 2 == 0 ? a : b
                    group.addTask {
                        var mine: [Int64] = []
                        while let job = try await store.claimJob(kind: .validation, owner: LeaseOwner(node: "n\(worker % 2)", worker: worker), now: 100, leaseSeconds: 600) {
                            mine.append(job.id)
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0 += $1 }
            }
            #expect(claimed.count == 60 && Set(claimed).count == 60)
            #expect(try await b.leasedJobCount() == 60)
        }
    }

    /// Verdicts written on two nodes queue notifications while a dispatcher opens deliveries: every
    /// notification is in exactly one delivery (on PostgreSQL, ids commit out of order between
    /// concurrent writers; the outbox's lock keeps a delivery from passing over one).
    @Test(arguments: Backend.all)
    func notificationsQueuedOnTwoNodesWhileDeliveriesOpenAreEachDeliveredOnce(_ backend: Backend) async throws {
        try await Self.withTwoNodes(backend) { a, b in
            try await a.upsertCallback(NotificationConformance.callback(Fixture.seller))
            let count = 120, perJob = 2
            for n in 0 ..< count { try await Fixture.commit(a, "S\(n)", [Fixture.document("d\(n)", in: "")]) }
            let delivered = try await withThrowingTaskGroup(of: [String].self) { group in
                for worker in 0 ..< 6 {
                    let store = worker % 2 == 0 ? a : b
                    group.addTask {
                        let owner = LeaseOwner(node: "n\(worker % 2)", worker: worker)
                        while let job = try await store.claimJob(kind: .validation, owner: owner, now: 100, leaseSeconds: 600) {
                            let uuid = try #require(try await store.receipts(ofSubmission: job.subject, status: nil, receiptNumber: nil, uuid: nil, pageNo: 1, pageSize: 10,
                                                                             withText: false).items.first?.uuid)
                            #expect(try await store.completeJob(job, verdicts: [DocumentVerdict(uuid: uuid, status: .valid, errors: [])], status: .valid, invalidCount: 0,
                                                                notifications: (0 ..< perJob).map { NotificationConformance.notification("\(uuid)-\($0)") }, now: 100))
                        }
                        return []
                    }
                }
                group.addTask {
                    // The dispatcher: small deliveries, opened as fast as it can, until all are out.
                    var seen: [String] = []
                    var round = 0
                    while seen.count < count * perJob {
                        round += 1
                        if let delivery = try await b.openDelivery(recipientRIN: Fixture.seller, maximum: 5, id: "D\(round)", now: 200, body: NotificationConformance.body) {
                            try await b.recordAttempt(DeliveryAttempt(deliveryID: delivery.id, at: 201, statusCode: 200, latencyMilliseconds: 1, error: nil), outcome: .delivered)
                            seen += try #require(try await b.deliveryLog(id: delivery.id)).notifications.map(\.documentUUID)
                        } else {
                            await Task.yield()
                        }
                        guard round < 100_000 else { break }
                    }
                    return seen
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(delivered.count == count * perJob, "\(delivered.count) notifications delivered of \(count * perJob)")
            #expect(Set(delivered) == Set((0 ..< count).flatMap { n in (0 ..< perJob).map { "d\(n)-\($0)" } }))
            #expect(try await a.undeliveredNotificationCount() == 0)
        }
    }

    /// The outbox's rule on PostgreSQL, made to happen: a writer holds a lower notification id
    /// uncommitted (here a raw connection writing as the store's `enqueue` does: the callback row
    /// FOR SHARE, then the row) while another commits a higher one. A delivery opened meanwhile
    /// waits for the slow writer, so it carries both; without the wait its cursor would pass the
    /// lower id, which would then never be delivered.
    @Test(.enabled(if: !TestPostgres.isSkipped))
    func aDeliveryWaitsForAWriterHoldingALowerNotificationId() async throws {
        try await withMigratedStore("outbox") { database, store in
            try await store.upsertCallback(NotificationConformance.callback(Fixture.seller))
            let logger = Logger(label: "slow-writer")
            let slow = try await database.connect(logger: logger)
            try await slow.query("BEGIN", logger: logger)
            try await slow.query("SELECT 1 FROM callbacks WHERE taxpayer_rin = \(Fixture.seller) FOR SHARE", logger: logger)
            try await slow.query("""
                INSERT INTO notifications (recipient_rin, path, type, document_uuid, message, created_at, state)
                VALUES (\(Fixture.seller), 'notifications/receipts', 'receipt-validated', 'slow', '\\x7b7d', 1, 'pending')
                """, logger: logger)
            #expect(try await NotificationConformance.validate(store, "S1", ["fast"], notifications: [NotificationConformance.notification("fast")]))
            async let opened = store.openDelivery(recipientRIN: Fixture.seller, maximum: 10, id: "D1", now: 5, body: NotificationConformance.body)
            try await Task.sleep(for: .milliseconds(500))
            try await slow.query("COMMIT", logger: logger)
            try await slow.close()
            #expect(try await opened?.count == 2)
            #expect(try await store.deliveryLog(id: "D1")?.notifications.map(\.documentUUID) == ["slow", "fast"])
        }
    }

    /// Three nodes starting at once on an empty PostgreSQL database: the migrations run once
    /// (under an advisory lock) and every node finds them applied.
    @Test(.enabled(if: !TestPostgres.isSkipped))
    func migrationsRunOnceWhenThreeNodesStartAtOnce() async throws {
        let database = try await TestPostgres.freshDatabase("migrate")
        let settings = try PostgresSettings(url: database.url)
        let stores = try (0 ..< 3).map { _ in try PostgresStore(settings) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for store in stores { group.addTask { try await store.run() } }
            defer { group.cancelAll() }
            try await withThrowingTaskGroup(of: Void.self) { migrations in
                for store in stores { migrations.addTask { try await store.migrate() } }
                try await migrations.waitForAll()
            }
            for store in stores { #expect(try await store.appliedMigrations() == SQLiteStore.migrationNames) }
            try await stores[2].upsertTaxpayer(TaxpayerRecord(rin: "100000001", name: "One"))
            #expect(try await stores[0].taxpayer(rin: "100000001")?.name == "One")
        }
    }
}

/// Durability on PostgreSQL: with `full`, intake's commits wait for the WAL flush and job
/// bookkeeping does not; with `normal`, none does (as `synchronous=FULL`/`NORMAL` on SQLite).
@Suite("PostgreSQL store: durability")
struct PostgresDurabilityTests {
    @Test(.enabled(if: !TestPostgres.isSkipped), arguments: [Durability.full, .normal])
    func syncedCommitsWaitForTheWALFlushOnlyWhenDurabilityIsFull(_ durability: Durability) async throws {
        try await withMigratedStore("durability", adjust: { $0.durability = durability }) { _, store throws in
            #expect(try await store.synchronousCommit(synced: true) == (durability == .full ? "on" : "off"))
            #expect(try await store.synchronousCommit(synced: false) == "off")
        }
    }
}

/// A row this version cannot read is `StoreError.corrupt` on PostgreSQL, whichever read meets it
/// (the store throws only `StoreError`): here a taxpayer's name made NULL behind the store's back.
@Suite("PostgreSQL store: rows it cannot read")
struct PostgresUnreadableRowTests {
    @Test(.enabled(if: !TestPostgres.isSkipped))
    func aRowThatCannotBeReadIsCorruptNotADriverError() async throws {
        try await withMigratedStore("unreadable") { database, store in
            try await store.upsertTaxpayer(TaxpayerRecord(rin: "100000001", name: "One"))
            let logger = Logger(label: "damage")
            let damage = try await database.connect(logger: logger)
            try await damage.query("ALTER TABLE taxpayers ALTER COLUMN name DROP NOT NULL", logger: logger)
            try await damage.query("UPDATE taxpayers SET name = NULL", logger: logger)
            try await damage.close()
            for read in [{ _ = try await store.taxpayer(rin: "100000001") }, { _ = try await store.taxpayers() }] as [@Sendable () async throws -> Void] {
                do {
                    try await read()
                    Issue.record("a NULL name was read")
                } catch let error as StoreError {
                    #expect(error.code == .corrupt)
                }
            }
        }
    }
}

/// A database that stops serving, on PostgreSQL: its connections are ended and new ones refused
/// (`ALLOW_CONNECTIONS false`, then every session of the database terminated). Reads, writes and
/// claims fail as `StoreError.unavailable` within `pool_wait` (the platform answers 503 with
/// Retry-After) instead of waiting for the pool's circuit breaker, and the same store serves again
/// once the database takes connections (after the pool's reconnect backoff).
@Suite("PostgreSQL store: a database that stops serving")
struct PostgresUnavailableTests {
    @Test(.enabled(if: !TestPostgres.isSkipped))
    func callsFailAsUnavailableWhileTheDatabaseRefusesAndWorkAgainAfter() async throws {
        let database = try await TestPostgres.freshDatabase("down")
        // The store under test waits 2 s for a connection; the setup, which may meet the whole
        // suite's load, uses one with the default wait.
        let setup = try PostgresStore(try PostgresSettings(url: database.url))
        var waitsTwoSeconds = try PostgresSettings(url: database.url)
        waitsTwoSeconds.poolWait = .seconds(2)
        let store = try PostgresStore(waitsTwoSeconds)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await setup.run() }
            group.addTask { try await store.run() }
            defer { group.cancelAll() }
            try await setup.migrate()
            try await setup.upsertTaxpayer(TaxpayerRecord(rin: "100000001", name: "One"))
            // The store has connections before the database goes away (a busy machine may make
            // its first ones slower than its wait: retried).
            let warm = ContinuousClock.now + .seconds(60)
            while (try? await store.taxpayer(rin: "100000001")) == nil, ContinuousClock.now < warm { try await Task.sleep(for: .milliseconds(100)) }
            let logger = Logger(label: "operator")
            let admin = try await database.connect(to: "postgres", logger: logger)
            try await admin.query("ALTER DATABASE \(unescaped: database.database) ALLOW_CONNECTIONS false", logger: logger)
            try await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(database.database)", logger: logger)
            let calls: [@Sendable () async throws -> Void] = [
                { _ = try await store.taxpayer(rin: "100000001") },
                { try await store.upsertTaxpayer(TaxpayerRecord(rin: "100000002", name: "Two")) },
                { _ = try await store.claimJob(kind: .validation, owner: LeaseOwner(node: "n", worker: 0, run: "r"), now: 1, leaseSeconds: 30) },
            ]
            for call in calls {
                let started = ContinuousClock.now
                do {
                    try await call()
                    Issue.record("a call succeeded on a database that refuses connections")
                } catch let error as StoreError {
                    #expect(error.code == .unavailable, "\(error)")
                }
                // Not a hang: the call gives up after `pool_wait` (PostgresNIO's pool alone waits about a minute).
                #expect(ContinuousClock.now - started < .seconds(20))
            }
            try await admin.query("ALTER DATABASE \(unescaped: database.database) ALLOW_CONNECTIONS true", logger: logger)
            try await admin.close()
            // The same store serves again once the database takes connections: the pool reconnects
            // on its own backoff (PostgresNIO's: longer the longer the outage lasted), so calls are
            // retried here, as a client retries after a 503, until a write and a read go through.
            let deadline = ContinuousClock.now + .seconds(120)
            var served: TaxpayerRecord?
            while served == nil, ContinuousClock.now < deadline {
                do {
                    try await store.upsertTaxpayer(TaxpayerRecord(rin: "100000002", name: "Two"))
                    served = try await store.taxpayer(rin: "100000002")
                } catch let error as StoreError {
                    #expect(error.code == .unavailable, "\(error)")
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            #expect(served?.name == "Two")
            #expect(try await store.taxpayer(rin: "100000001")?.name == "One")
        }
    }
}

/// `body` with a store on a fresh PostgreSQL database (named after `label`), running and
/// migrated; `adjust` changes the store's settings first.
func withMigratedStore(_ label: String, adjust: (inout PostgresSettings) -> Void = { _ in },
                       _ body: (TestDatabase, PostgresStore) async throws -> Void) async throws {
    let database = try await TestPostgres.freshDatabase(label)
    var settings = try PostgresSettings(url: database.url)
    adjust(&settings)
    let store = try PostgresStore(settings)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await store.run() }
        defer { group.cancelAll() }
        try await store.migrate()
        try await body(database, store)
    }
}
