// Callbacks, the notification outbox, deliveries and their log (spec/notifications.md).

import EisalCore
import EisalStore
import Foundation
import GRDB

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
            try db.execute(sql: "UPDATE notifications SET state = 'failed' WHERE recipient_rin = ? AND delivery_id IS NULL AND state = 'pending'", arguments: [taxpayerRIN])
            return true
        }
    }

    public func recipientsWithCallbacks(among rins: Set<String>) async throws -> Set<String> {
        guard !rins.isEmpty else { return [] }
        return try reading { db in
            Set(try Self.inChunks(Array(rins)) { marks, arguments in
                try String.fetchAll(db.cachedStatement(sql: "SELECT taxpayer_rin FROM callbacks WHERE taxpayer_rin IN (\(marks))"), arguments: arguments)
            })
        }
    }

    public func callbacks() async throws -> [CallbackRecord] {
        try reading { db in try Row.fetchAll(db, sql: "SELECT * FROM callbacks ORDER BY taxpayer_rin").map(Self.callback) }
    }

    // MARK: The outbox

    /// Inserts the notifications whose recipient has a callback, and a dispatch job for each such
    /// recipient that has none; inside the caller's transaction.
    static func enqueue(_ db: Database, _ notifications: [NotificationRecord], now: Int64) throws {
        guard !notifications.isEmpty else { return }
        let recipients = Array(Set(notifications.map(\.recipientRIN)))
        let withCallback = Set(try inChunks(recipients) { marks, arguments in
            try String.fetchAll(db, sql: "SELECT taxpayer_rin FROM callbacks WHERE taxpayer_rin IN (\(marks))", arguments: arguments)
        })
        guard !withCallback.isEmpty else { return }
        let insert = try db.cachedStatement(sql: """
            INSERT INTO notifications (recipient_rin, path, type, document_uuid, message, created_at, state) VALUES (?, ?, ?, ?, ?, ?, 'pending')
            """)
        for n in notifications where withCallback.contains(n.recipientRIN) {
            try insert.execute(arguments: [n.recipientRIN, n.path.rawValue, n.type, n.documentUUID, Data(n.message), n.createdAt])
        }
        let job = try db.cachedStatement(sql: "INSERT OR IGNORE INTO jobs (kind, submission_uuid, created_at) VALUES (?, ?, ?)")
        for recipient in withCallback { try job.execute(arguments: [JobKind.dispatch.rawValue, recipient, now]) }
    }

    /// A notification row; in a delivery, its state is the delivery's (`delivery`, nil when the
    /// row has none or the caller reads no state).
    static func notification(_ row: Row, delivery: DeliveryRecord.State? = nil) -> NotificationRecord {
        NotificationRecord(id: row["id"], recipientRIN: row["recipient_rin"], path: NotificationPath(rawValue: row["path"]) ?? .receipts, type: row["type"],
                           documentUUID: row["document_uuid"], message: [UInt8](row["message"] as Data), createdAt: row["created_at"],
                           state: delivery.map(state(of:)) ?? NotificationRecord.State(rawValue: row["state"]) ?? .pending, deliveryID: row["delivery_id"])
    }

    /// The state of a notification in a delivery in `state` (schema v6: not stored per notification).
    static func state(of delivery: DeliveryRecord.State) -> NotificationRecord.State {
        switch delivery {
        case .open: .sending
        case .delivered: .delivered
        case .failed: .failed
        }
    }

    /// A notification's state in SQL, over `notifications n LEFT JOIN deliveries d ON d.id = n.delivery_id`.
    static let effectiveState = "(CASE WHEN n.delivery_id IS NULL THEN n.state WHEN d.state = 'open' THEN 'sending' ELSE d.state END)"

    public func pendingNotifications(recipientRIN: String, upTo limit: Int) async throws -> (count: Int, oldestCreatedAt: Int64?) {
        try reading { db in
            let count = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE recipient_rin = ? AND delivery_id IS NULL AND state = 'pending' LIMIT ?)"),
                                         arguments: [recipientRIN, limit]) ?? 0
            guard count > 0 else { return (0, nil) }
            // Notifications are numbered as they are created: the first pending one is the oldest.
            let oldest = try Int64.fetchOne(db.cachedStatement(sql: "SELECT created_at FROM notifications WHERE recipient_rin = ? AND delivery_id IS NULL AND state = 'pending' ORDER BY id LIMIT 1"),
                                            arguments: [recipientRIN])
            return (count, oldest)
        }
    }

    public func undeliveredNotificationCount() async throws -> Int {
        // Notifications exist only for recipients with a callback (removing one fails them), so
        // this reads the pending index once per callback, plus the open deliveries' counts.
        try reading { db in
            let pending = try Int.fetchOne(db.cachedStatement(sql: """
                SELECT COUNT(*) FROM callbacks CROSS JOIN notifications ON notifications.recipient_rin = callbacks.taxpayer_rin
                WHERE notifications.delivery_id IS NULL AND notifications.state = 'pending'
                """)) ?? 0
            let sending = try Int.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(SUM(count), 0) FROM deliveries WHERE state = 'open'")) ?? 0
            return pending + sending
        }
    }

    public func failPendingNotifications(recipientRIN: String, now: Int64) async throws -> Int {
        try await writing { db in
            try db.execute(sql: "UPDATE notifications SET state = 'failed' WHERE recipient_rin = ? AND delivery_id IS NULL AND state = 'pending'", arguments: [recipientRIN])
            var failed = db.changesCount
            failed += try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(count), 0) FROM deliveries WHERE recipient_rin = ? AND state = 'open'", arguments: [recipientRIN]) ?? 0
            // Their notifications take the deliveries' state.
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
            guard let path = try String.fetchOne(db.cachedStatement(sql: "SELECT path FROM notifications WHERE recipient_rin = ? AND delivery_id IS NULL AND state = 'pending' ORDER BY id LIMIT 1"),
                                                 arguments: [recipientRIN]) else { return nil }
            // Columns read by position: a batch is read on every delivery, and name lookups cost
            // more than the rows.
            var batch: [NotificationRecord] = []
            batch.reserveCapacity(maximum)
            let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                SELECT id, type, document_uuid, message, created_at FROM notifications
                WHERE recipient_rin = ? AND delivery_id IS NULL AND state = 'pending' AND path = ? ORDER BY id LIMIT ?
                """), arguments: [recipientRIN, path, maximum])
            while let row = try rows.next() {
                let message: [UInt8] = try row.withUnsafeData(atIndex: 3) { data in data.map { [UInt8]($0) } } ?? []
                batch.append(NotificationRecord(id: row[0], recipientRIN: recipientRIN, path: NotificationPath(rawValue: path) ?? .receipts, type: row[1],
                                                documentUUID: row[2], message: message, createdAt: row[4]))
            }
            guard let last = batch.last else { return nil }
            let delivery = DeliveryRecord(id: id, recipientRIN: recipientRIN, path: NotificationPath(rawValue: path) ?? .receipts, body: body(id, batch),
                                          count: batch.count, nextAttemptAt: now, createdAt: now)
            try db.execute(sql: "INSERT INTO deliveries VALUES (?, ?, ?, ?, ?, 'open', 0, ?, ?, NULL)",
                           arguments: [delivery.id, recipientRIN, path, Data(delivery.body), delivery.count, now, now])
            // The batch is every pending notification of the recipient and path up to its last id.
            try db.cachedStatement(sql: """
                UPDATE notifications SET delivery_id = ? WHERE recipient_rin = ? AND delivery_id IS NULL AND state = 'pending' AND path = ? AND id <= ?
                """).execute(arguments: [id, recipientRIN, path, last.id])
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
            case let .retry(at):
                try db.execute(sql: "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?", arguments: [at, a.deliveryID])
            case .failed:
                try db.execute(sql: "UPDATE deliveries SET state = 'failed', attempts = attempts + 1 WHERE id = ?", arguments: [a.deliveryID])
            }
        }
    }

    public func finishDispatch(_ job: ClaimedJob) async throws -> Bool {
        try await unsyncedWrite { db in
            try db.cachedStatement(sql: """
                DELETE FROM jobs WHERE id = ? AND lease_owner = ?
                    AND NOT EXISTS (SELECT 1 FROM notifications WHERE recipient_rin = ? AND delivery_id IS NULL AND state = 'pending')
                    AND NOT EXISTS (SELECT 1 FROM deliveries WHERE recipient_rin = ? AND state = 'open')
                """).execute(arguments: [job.id, job.owner.description, job.subject, job.subject])
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
            guard let delivery = try Row.fetchOne(db, sql: "SELECT * FROM deliveries WHERE id = ?", arguments: [id]).map(Self.delivery) else { return nil }
            let notifications = try Row.fetchAll(db, sql: "SELECT * FROM notifications WHERE delivery_id = ? ORDER BY id", arguments: [id]).map { Self.notification($0, delivery: delivery.state) }
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
        let from = "notifications n LEFT JOIN deliveries d ON d.id = n.delivery_id"
        return try reading { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(from) WHERE \(condition)", arguments: bound) ?? 0
            let rows = try Row.fetchAll(db, sql: "SELECT n.* FROM \(from) WHERE \(condition) ORDER BY n.created_at DESC, n.id DESC LIMIT ? OFFSET ?",
                                        arguments: bound + [q.pageSize, Self.offset(pageNo: q.pageNo, pageSize: q.pageSize)])
            var logs: [String: DeliveryLogEntry] = [:]
            let items: [(notification: NotificationRecord, delivery: DeliveryLogEntry?)] = try rows.map { row in
                guard let id: String = row["delivery_id"] else { return (Self.notification(row), nil) }
                if logs[id] == nil, let delivery = try Row.fetchOne(db, sql: "SELECT * FROM deliveries WHERE id = ?", arguments: [id]).map(Self.delivery) {
                    logs[id] = DeliveryLogEntry(delivery: delivery, attempts: try Self.attempts(db, delivery: id), notifications: [])
                }
                return (Self.notification(row, delivery: logs[id]?.delivery.state), logs[id])
            }
            return Page(items: items, totalCount: total)
        }
    }
}
