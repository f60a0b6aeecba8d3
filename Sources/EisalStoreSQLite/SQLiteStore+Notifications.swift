// Callbacks, the notification outbox, deliveries and their log (spec/notifications.md).

import EisalCore
import EisalStore
import Foundation
import GRDB
import GRDBSQLite

extension SQLiteStore {
    // MARK: Callbacks

    public func upsertCallback(_ c: CallbackRecord) async throws {
        try await writing { db in
            try db.execute(sql: "INSERT OR REPLACE INTO callbacks VALUES (?, ?, ?, ?, ?)",
                           arguments: [c.taxpayerRIN, c.baseURL, Data(c.sealedAPIKey), c.language, c.registeredAt])
        }
    }

    static func callback(_ row: Row) -> CallbackRecord {
        CallbackRecord(taxpayerRIN: row["taxpayer_rin"], baseURL: row["base_url"], sealedAPIKey: [UInt8](row["api_key"] as Data),
                       language: row["language"], registeredAt: row["registered_at"])
    }

    public func callback(taxpayerRIN: String) async throws -> CallbackRecord? {
        try reading { db in try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM callbacks WHERE taxpayer_rin = ?"), arguments: [taxpayerRIN]).map(Self.callback) }
    }

    public func removeCallback(taxpayerRIN: String, now: Int64) async throws -> Bool {
        try await writing { db in
            try db.execute(sql: "DELETE FROM callbacks WHERE taxpayer_rin = ?", arguments: [taxpayerRIN])
            guard db.changesCount == 1 else { return false }
            _ = try Self.failUndelivered(db, recipient: taxpayerRIN)
            return true
        }
    }

    public func recipientsWithCallbacks(among rins: Set<String>) async throws -> Set<String> {
        guard !rins.isEmpty else { return [] }
        return try reading { db in
            // A submission's recipients are usually one issuer and a few buyers: cached lookups.
            if rins.count <= 16 {
                let lookup = try db.cachedStatement(sql: "SELECT 1 FROM callbacks WHERE taxpayer_rin = ?")
                return try rins.filter { try Bool.fetchOne(lookup, arguments: [$0]) ?? false }
            }
            return Set(try Self.inChunks(Array(rins)) { marks, arguments in
                try String.fetchAll(db.cachedStatement(sql: "SELECT taxpayer_rin FROM callbacks WHERE taxpayer_rin IN (\(marks))"), arguments: arguments)
            })
        }
    }

    public func callbacks() async throws -> [CallbackRecord] {
        try reading { db in try Row.fetchAll(db, sql: "SELECT * FROM callbacks ORDER BY taxpayer_rin").map(Self.callback) }
    }

    // MARK: The outbox

    /// Inserts the notifications whose recipient has a callback, as rows of several
    /// (``NotificationRow``), and a dispatch job for each such recipient that has none; inside
    /// the caller's transaction.
    static func enqueue(_ db: Database, _ notifications: [NotificationRecord], now: Int64) throws {
        guard !notifications.isEmpty else { return }
        // Recipients are few per commit (the issuer, buyers): one cached lookup each.
        var hasCallback: [String: Bool] = [:]
        let lookup = try db.cachedStatement(sql: "SELECT 1 FROM callbacks WHERE taxpayer_rin = ?")
        for n in notifications where hasCallback[n.recipientRIN] == nil {
            hasCallback[n.recipientRIN] = try Bool.fetchOne(lookup, arguments: [n.recipientRIN]) ?? false
        }
        guard hasCallback.values.contains(true) else { return }
        let rows = NotificationRow.rows(notifications.filter { hasCallback[$0.recipientRIN] == true })
        // A row's notifications take the ids from its key on; the next row's key is past them.
        var next = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id + count FROM notifications ORDER BY id DESC LIMIT 1")) ?? 1
        for row in rows {
            try insert(db, row, id: next)
            next += Int64(row.count)
        }
        let job = try db.cachedStatement(sql: "INSERT OR IGNORE INTO jobs (kind, submission_uuid, created_at) VALUES (?, ?, ?)")
        for (recipient, has) in hasCallback where has { try job.execute(arguments: [JobKind.dispatch.rawValue, recipient, now]) }
    }

    /// Writes a pending outbox row under key `id`.
    static func insert(_ db: Database, _ row: NotificationRow, id: Int64) throws {
        let insert = try db.cachedStatement(sql: """
            INSERT INTO notifications (id, recipient_rin, path, type, document_uuid, message, created_at, state, count) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)
            """)
        // Bound directly: texts are copied by SQLite, the messages are read during the step only.
        defer { sqlite3_clear_bindings(insert.sqliteStatement) }
        var values = DirectBinding(insert.sqliteStatement)
        values.bind(id)
        values.bind(copying: row.recipientRIN)
        values.bind(copying: row.path.rawValue)
        values.bind(copying: row.type)
        values.bind(copying: row.documents)
        try row.messages.withUnsafeBytes { messages in
            values.bind(blob: messages)
            values.bind(row.createdAt)
            values.bind(Int64(row.count))
            try values.step(db)
        }
    }

    // The outbox is written once (schema v6). A delivery takes, for one recipient and path, the
    // pending rows after the path's last delivery, and records the range of their notifications'
    // ids (`first_id`, `last_id`); nothing is written back to the rows (but the split of a row
    // larger than the delivery's maximum). So "not yet in a delivery" is `state = 'pending' AND
    // id > cursor`, the cursor being the path's highest `last_id`, and a row in a delivery takes
    // the delivery's state (open: sending). `state` changes only to `failed`, for rows not yet in
    // a delivery whose recipient's callback went away. Rows batched by schema v5 carry their
    // delivery's id and their own state. Since v8 a row holds several notifications
    // (EisalStore's NotificationRows.swift): counts are sums of `count`.

    /// The notifications of an outbox row, with the state and id of the delivery it is in, if any.
    static func notifications(_ row: Row, in delivery: DeliveryRecord? = nil) throws -> [NotificationRecord] {
        let stored = NotificationRow(recipientRIN: row["recipient_rin"], path: NotificationPath(rawValue: row["path"]) ?? .receipts, type: row["type"],
                                     createdAt: row["created_at"], count: row["count"], documents: row["document_uuid"], messages: [UInt8](row["message"] as Data))
        return try stored.notifications(firstID: row["id"],
                                        state: delivery.map { state(of: $0.state) } ?? NotificationRecord.State(rawValue: row["state"]) ?? .pending,
                                        deliveryID: delivery?.id ?? row["delivery_id"])
    }

    /// The state of a notification in a delivery in `state`.
    static func state(of delivery: DeliveryRecord.State) -> NotificationRecord.State {
        switch delivery {
        case .open: .sending
        case .delivered: .delivered
        case .failed: .failed
        }
    }

    /// The highest notification id already in a delivery of `recipient` on `path` (0: none).
    static func cursor(_ db: Database, recipient: String, path: NotificationPath) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(last_id) FROM deliveries WHERE recipient_rin = ? AND path = ?"),
                           arguments: [recipient, path.rawValue]) ?? 0
    }

    /// The delivery (schema v6) that holds notification `id` of `recipient` on `path`, if any.
    static func delivery(_ db: Database, holding id: Int64, recipient: String, path: String) throws -> DeliveryRecord? {
        try Row.fetchOne(db.cachedStatement(sql: """
            SELECT * FROM deliveries WHERE recipient_rin = ? AND path = ? AND last_id >= ? AND first_id <= ? ORDER BY last_id LIMIT 1
            """), arguments: [recipient, path, id, id]).map(Self.delivery)
    }

    /// A notification's state in SQL, for a row `n` of `notifications` (a subquery finds its delivery).
    static let effectiveState = """
        (CASE WHEN n.delivery_id IS NOT NULL OR n.state <> 'pending' THEN n.state
         ELSE COALESCE((SELECT CASE d.state WHEN 'open' THEN 'sending' ELSE d.state END FROM deliveries d
                        WHERE d.recipient_rin = n.recipient_rin AND d.path = n.path AND d.last_id >= n.id AND d.first_id <= n.id
                        ORDER BY d.last_id LIMIT 1), 'pending') END)
        """

    /// The first notification not yet in a delivery of each of the recipient's paths that has
    /// one: its id and creation time, and the path's cursor.
    static func undelivered(_ db: Database, recipient: String) throws -> [(path: NotificationPath, cursor: Int64, firstID: Int64, createdAt: Int64)] {
        try NotificationPath.allCases.compactMap { path in
            let cursor = try cursor(db, recipient: recipient, path: path)
            guard let first = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT id, created_at FROM notifications WHERE recipient_rin = ? AND path = ? AND state = 'pending' AND id > ? ORDER BY id LIMIT 1
                """), arguments: [recipient, path.rawValue, cursor]) else { return nil }
            return (path, cursor, first[0], first[1])
        }
    }

    /// Fails the recipient's notifications not yet in a delivery; returns how many.
    static func failUndelivered(_ db: Database, recipient: String) throws -> Int {
        var failed = 0
        for path in NotificationPath.allCases {
            let arguments: StatementArguments = [recipient, path.rawValue, try cursor(db, recipient: recipient, path: path)]
            failed += try Int.fetchOne(db.cachedStatement(sql: """
                SELECT COALESCE(SUM(count), 0) FROM notifications WHERE recipient_rin = ? AND path = ? AND state = 'pending' AND id > ?
                """), arguments: arguments) ?? 0
            try db.execute(sql: "UPDATE notifications SET state = 'failed' WHERE recipient_rin = ? AND path = ? AND state = 'pending' AND id > ?", arguments: arguments)
        }
        return failed
    }

    public func pendingNotifications(recipientRIN: String, upTo limit: Int) async throws -> (count: Int, oldestCreatedAt: Int64?) {
        try reading { db in
            let paths = try Self.undelivered(db, recipient: recipientRIN)
            var count = 0
            // Rows in id order until the count reaches the limit (a row holds a commit's notifications).
            for path in paths where count < limit {
                let counts = try Int.fetchCursor(db.cachedStatement(sql: """
                    SELECT count FROM notifications WHERE recipient_rin = ? AND path = ? AND state = 'pending' AND id > ? ORDER BY id
                    """), arguments: [recipientRIN, path.path.rawValue, path.cursor])
                while count < limit, let rowCount = try counts.next() { count += rowCount }
            }
            return (min(count, limit), paths.map(\.createdAt).min())
        }
    }

    public func undeliveredNotificationCount() async throws -> Int {
        // Notifications exist only for recipients with a callback (removing one fails them): in
        // one statement, per callback and path, an index count from the path's cursor on; plus
        // the open deliveries' counts.
        let paths = NotificationPath.allCases.map { "SELECT '\($0.rawValue)' AS path" }.joined(separator: " UNION ALL ")
        return try reading { db in
            let pending = try Int.fetchOne(db.cachedStatement(sql: """
                SELECT COALESCE(SUM((SELECT COALESCE(SUM(n.count), 0) FROM notifications n
                    WHERE n.recipient_rin = c.taxpayer_rin AND n.path = p.path AND n.state = 'pending'
                      AND n.id > COALESCE((SELECT MAX(last_id) FROM deliveries d WHERE d.recipient_rin = c.taxpayer_rin AND d.path = p.path), 0))), 0)
                FROM callbacks c CROSS JOIN (\(paths)) p
                """)) ?? 0
            let sending = try Int.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(SUM(count), 0) FROM deliveries WHERE state = 'open'")) ?? 0
            return pending + sending
        }
    }

    public func failPendingNotifications(recipientRIN: String, now: Int64) async throws -> Int {
        try await writing { db in
            var failed = try Self.failUndelivered(db, recipient: recipientRIN)
            failed += try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(count), 0) FROM deliveries WHERE recipient_rin = ? AND state = 'open'", arguments: [recipientRIN]) ?? 0
            // Their notifications take the deliveries' state (rows batched by v5 keep their own).
            try db.execute(sql: """
                UPDATE notifications SET state = 'failed' WHERE delivery_id IN (SELECT id FROM deliveries WHERE recipient_rin = ? AND state = 'open')
                """, arguments: [recipientRIN])
            try db.execute(sql: "UPDATE deliveries SET state = 'failed' WHERE recipient_rin = ? AND state = 'open'", arguments: [recipientRIN])
            return failed
        }
    }

    // MARK: Deliveries

    static func delivery(_ row: Row) -> DeliveryRecord {
        DeliveryRecord(id: row["id"], recipientRIN: row["recipient_rin"], path: NotificationPath(rawValue: row["path"]) ?? .receipts, body: [UInt8](row["body"] as Data),
                       count: row["count"], state: DeliveryRecord.State(rawValue: row["state"]) ?? .open, attempts: row["attempts"],
                       nextAttemptAt: row["next_attempt_at"], createdAt: row["created_at"], deliveredAt: row["delivered_at"])
    }

    public func openDelivery(recipientRIN: String) async throws -> DeliveryRecord? {
        try reading { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM deliveries WHERE recipient_rin = ? AND state = 'open' ORDER BY next_attempt_at, created_at LIMIT 1"),
                             arguments: [recipientRIN]).map(Self.delivery)
        }
    }

    public func openDelivery(recipientRIN: String, maximum: Int, id: String, now: Int64,
                             body: @escaping @Sendable (String, [NotificationRecord]) -> [UInt8]) async throws -> DeliveryRecord? {
        try await writing { db in
            // The path whose first waiting notification is the oldest.
            guard let oldest = try Self.undelivered(db, recipient: recipientRIN).min(by: { $0.firstID < $1.firstID }) else { return nil }
            let path = oldest.path
            // Whole rows while they fit; a first row larger than the maximum is split
            // (DeliveryBatch). Columns read by position: a batch is read on every delivery.
            var batch = DeliveryBatch(maximum: maximum, deliveryID: id)
            do { // (the cursor ends before a split is written)
                let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                    SELECT id, type, document_uuid, message, created_at, count FROM notifications
                    WHERE recipient_rin = ? AND path = ? AND state = 'pending' AND id >= ? ORDER BY id LIMIT ?
                    """), arguments: [recipientRIN, path.rawValue, oldest.firstID, maximum])
                while let row = try rows.next(), try batch.take(key: row[0], NotificationRow(
                    recipientRIN: recipientRIN, path: path, type: row[1], createdAt: row[4], count: row[5], documents: row[2],
                    messages: try row.withUnsafeData(atIndex: 3) { data in data.map { [UInt8]($0) } } ?? [])) {}
            }
            guard let first = batch.notifications.first, let last = batch.notifications.last else { return nil }
            if let split = batch.split {
                try db.execute(sql: "UPDATE notifications SET document_uuid = ?, message = ?, count = ? WHERE id = ?",
                               arguments: [split.head.documents, Data(split.head.messages), split.head.count, split.key])
                try Self.insert(db, split.tail, id: split.key + Int64(split.head.count))
            }
            let delivery = DeliveryRecord(id: id, recipientRIN: recipientRIN, path: path, body: body(id, batch.notifications), count: batch.notifications.count,
                                          nextAttemptAt: now, createdAt: now)
            // The delivery names its notifications by their ids' range; they are not written again.
            try db.cachedStatement(sql: """
                INSERT INTO deliveries (id, recipient_rin, path, body, count, state, attempts, next_attempt_at, created_at, delivered_at, first_id, last_id)
                VALUES (?, ?, ?, ?, ?, 'open', 0, ?, ?, NULL, ?, ?)
                """).execute(arguments: [delivery.id, recipientRIN, path.rawValue, Data(delivery.body), delivery.count, now, now, first.id, last.id])
            return delivery
        }
    }

    /// Not synced: losing an outcome to a power cut only sends the delivery again with the same
    /// deliveryId, which the receiver deduplicates. (Opening a delivery is synced: its id must
    /// never be lost once its body may have been sent.)
    public func recordAttempt(_ a: DeliveryAttempt, outcome: DeliveryOutcome) async throws {
        try await unsyncedWrite { db in
            try db.execute(sql: "INSERT INTO delivery_attempts VALUES (?, ?, ?, ?, ?)", arguments: [a.deliveryID, a.at, a.statusCode, a.latencyMilliseconds, a.error])
            switch outcome {
            case .delivered:
                // The delivery's notifications take its state (one row written, not one per notification).
                try db.execute(sql: "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, delivered_at = ? WHERE id = ?", arguments: [a.at, a.deliveryID])
                try Self.settleVersion5Rows(db, delivery: a.deliveryID, state: "delivered")
            case let .retry(at):
                try db.execute(sql: "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?", arguments: [at, a.deliveryID])
            case .failed:
                try db.execute(sql: "UPDATE deliveries SET state = 'failed', attempts = attempts + 1 WHERE id = ?", arguments: [a.deliveryID])
                try Self.settleVersion5Rows(db, delivery: a.deliveryID, state: "failed")
            }
        }
    }

    /// Rows batched by schema v5 carry their own state; a delivery opened before the upgrade
    /// settles them as v5 did (none for deliveries opened since).
    static func settleVersion5Rows(_ db: Database, delivery id: String, state: String) throws {
        try db.cachedStatement(sql: "UPDATE notifications SET state = ? WHERE delivery_id = ?").execute(arguments: [state, id])
    }

    public func finishDispatch(_ job: ClaimedJob) async throws -> Bool {
        try await unsyncedWrite { db in
            guard try Self.undelivered(db, recipient: job.subject).isEmpty else { return false }
            try db.cachedStatement(sql: """
                DELETE FROM jobs WHERE id = ? AND lease_owner = ? AND NOT EXISTS (SELECT 1 FROM deliveries WHERE recipient_rin = ? AND state = 'open')
                """).execute(arguments: [job.id, job.owner.description, job.subject])
            return db.changesCount == 1
        }
    }

    // MARK: The log

    static func attempts(_ db: Database, delivery id: String) throws -> [DeliveryAttempt] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY at"), arguments: [id]).map {
            DeliveryAttempt(deliveryID: $0["delivery_id"], at: $0["at"], statusCode: $0["status_code"], latencyMilliseconds: $0["latency_ms"], error: $0["error"])
        }
    }

    public func deliveryLog(id: String) async throws -> DeliveryLogEntry? {
        try reading { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM deliveries WHERE id = ?", arguments: [id]) else { return nil }
            let delivery = Self.delivery(row)
            let notifications: [NotificationRecord]
            if let first: Int64 = row["first_id"], let last: Int64 = row["last_id"] {
                notifications = try Row.fetchAll(db, sql: """
                    SELECT * FROM notifications WHERE recipient_rin = ? AND path = ? AND id BETWEEN ? AND ? AND state = 'pending' ORDER BY id
                    """, arguments: [delivery.recipientRIN, delivery.path.rawValue, first, last]).flatMap { try Self.notifications($0, in: delivery) }
            } else {
                // Opened by schema v5: its rows name it and carry their own state.
                notifications = try Row.fetchAll(db, sql: "SELECT * FROM notifications WHERE delivery_id = ? ORDER BY id", arguments: [id]).flatMap { try Self.notifications($0) }
            }
            return DeliveryLogEntry(delivery: delivery, attempts: try Self.attempts(db, delivery: id), notifications: notifications)
        }
    }

    public func deliveries(recipientRIN: String?, state: DeliveryRecord.State?, pageNo: Int, pageSize: Int) async throws -> Page<DeliveryRecord> {
        var conditions: [String] = [], arguments: [(any DatabaseValueConvertible)?] = []
        if let recipientRIN { conditions.append("recipient_rin = ?"); arguments.append(recipientRIN) }
        if let state { conditions.append("state = ?"); arguments.append(state.rawValue) }
        let condition = conditions.isEmpty ? "1" : conditions.joined(separator: " AND ")
        let bound = StatementArguments(arguments)
        return try reading { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deliveries WHERE \(condition)", arguments: bound) ?? 0
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM deliveries WHERE \(condition) ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
                                        arguments: bound + [pageSize, Self.offset(pageNo: pageNo, pageSize: pageSize)])
            return Page(items: rows.map(Self.delivery), totalCount: total)
        }
    }

    public func replayDelivery(id: String, now: Int64) async throws -> Bool {
        try await writing { db in
            try db.execute(sql: "UPDATE deliveries SET state = 'open', attempts = 0, next_attempt_at = ?, delivered_at = NULL WHERE id = ? AND state <> 'open'",
                           arguments: [now, id])
            guard db.changesCount == 1, let recipient = try String.fetchOne(db, sql: "SELECT recipient_rin FROM deliveries WHERE id = ?", arguments: [id]) else { return false }
            try Self.settleVersion5Rows(db, delivery: id, state: "sending")
            try db.execute(sql: "INSERT OR IGNORE INTO jobs (kind, submission_uuid, created_at) VALUES (?, ?, ?)", arguments: [JobKind.dispatch.rawValue, recipient, now / 1000])
            try db.execute(sql: "UPDATE jobs SET not_before = NULL WHERE kind = ? AND submission_uuid = ?", arguments: [JobKind.dispatch.rawValue, recipient])
            return true
        }
    }

    public func notifications(_ q: NotificationQuery) async throws -> Page<(notification: NotificationRecord, delivery: DeliveryLogEntry?)> {
        var conditions = ["n.recipient_rin = ?"], arguments: [(any DatabaseValueConvertible)?] = [q.recipientRIN]
        if let from = q.from { conditions.append("n.created_at >= ?"); arguments.append(from) }
        if let to = q.to { conditions.append("n.created_at <= ?"); arguments.append(to) }
        if let type = q.type { conditions.append("n.type = ?"); arguments.append(type) }
        if let state = q.state { conditions.append("\(Self.effectiveState) = ?"); arguments.append(state.rawValue) }
        let condition = conditions.joined(separator: " AND ")
        let bound = StatementArguments(arguments)
        let offset = Self.offset(pageNo: q.pageNo, pageSize: q.pageSize)
        return try reading { db in
            let total = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(n.count), 0) FROM notifications n WHERE \(condition)", arguments: bound) ?? 0
            // Newest first, and within a row its highest id first: the rows the page starts and
            // ends in are found by their counts, then only those are read whole.
            var page = NotificationPageWalk(offset: offset, size: q.pageSize)
            let walk = try Row.fetchCursor(db, sql: "SELECT n.id, n.count FROM notifications n WHERE \(condition) ORDER BY n.created_at DESC, n.id DESC",
                                           arguments: bound)
            while let row = try walk.next(), page.take(key: row[0], count: row[1]) {}
            var logs: [String: DeliveryLogEntry] = [:]
            func log(_ delivery: DeliveryRecord) throws -> DeliveryLogEntry {
                if let known = logs[delivery.id] { return known }
                let entry = DeliveryLogEntry(delivery: delivery, attempts: try Self.attempts(db, delivery: delivery.id), notifications: [])
                logs[delivery.id] = entry
                return entry
            }
            var items: [(notification: NotificationRecord, delivery: DeliveryLogEntry?)] = []
            for key in page.keys {
                guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM notifications WHERE id = ?"), arguments: [key]) else { continue }
                let delivery: DeliveryRecord?
                if let id: String = row["delivery_id"] {
                    // Batched by schema v5: the row names its delivery and carries its state.
                    delivery = try Row.fetchOne(db, sql: "SELECT * FROM deliveries WHERE id = ?", arguments: [id]).map(Self.delivery)
                    items += try Self.notifications(row).reversed().map { ($0, try delivery.map(log)) }
                    continue
                }
                let state: String = row["state"]
                delivery = state == NotificationRecord.State.pending.rawValue
                    ? try Self.delivery(db, holding: key, recipient: row["recipient_rin"], path: row["path"]) : nil
                let entry = try delivery.map(log)
                items += try Self.notifications(row, in: delivery).reversed().map { ($0, entry) }
            }
            return Page(items: page.slice(items), totalCount: total)
        }
    }
}
