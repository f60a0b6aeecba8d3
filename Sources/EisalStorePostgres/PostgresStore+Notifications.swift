// Callbacks, the notification outbox, deliveries and their log (spec/notifications.md), as the
// SQLite store keeps them (SQLiteStore+Notifications.swift explains the outbox written once: a
// delivery takes the pending notifications after its path's cursor and records their id range).
//
// An outbox row holds several notifications (EisalStore's NotificationRows.swift); its key comes
// from a sequence that steps by `NotificationRow.capacity` (schema v8), so the ids of the row's
// notifications (`key ..< key + count`, and those of the rows a split makes of it) are its own.
//
// What several writers change here: notification ids come from a sequence, and with concurrent
// transactions an id can commit after a higher one. A delivery opened between the two would move
// the cursor past the late one, which would never be sent. So the writers of notifications hold
// the recipient's callback row FOR SHARE from before they take ids until they commit, and opening
// a delivery (and removing a finished dispatch job) takes it FOR UPDATE: it waits for every
// writer that may hold a lower id, and writers after it take higher ones.

import EisalCore
import Foundation
import EisalStore
import NIOCore
import PostgresNIO

extension PostgresStore {
    // MARK: Callbacks

    public func upsertCallback(_ cb: CallbackRecord) async throws {
        try await writing { c in
            try await c.rows("""
                INSERT INTO callbacks VALUES (\(cb.taxpayerRIN), \(cb.baseURL), \(ByteBuffer(bytes: cb.sealedAPIKey)), \(cb.language), \(cb.registeredAt))
                ON CONFLICT (taxpayer_rin) DO UPDATE SET base_url = excluded.base_url, api_key = excluded.api_key, language = excluded.language,
                    registered_at = excluded.registered_at
                """, self.logger)
        }
    }

    static func callback(_ row: PostgresRow) throws -> CallbackRecord {
        let (rin, base, key, language, registered) = try row.decode((String, String, ByteBuffer, String, Int64).self)
        return CallbackRecord(taxpayerRIN: rin, baseURL: base, sealedAPIKey: bytes(key), language: language, registeredAt: registered)
    }

    public func callback(taxpayerRIN: String) async throws -> CallbackRecord? {
        try await rows("SELECT taxpayer_rin, base_url, api_key, language, registered_at FROM callbacks WHERE taxpayer_rin = \(taxpayerRIN)", Self.callback).first
    }

    public func removeCallback(taxpayerRIN: String, now: Int64) async throws -> Bool {
        try await writing { c in
            guard !(try await c.rows("DELETE FROM callbacks WHERE taxpayer_rin = \(taxpayerRIN) RETURNING 1", self.logger)).isEmpty else { return false }
            _ = try await self.failUndelivered(c, recipient: taxpayerRIN)
            return true
        }
    }

    public func recipientsWithCallbacks(among rins: Set<String>) async throws -> Set<String> {
        guard !rins.isEmpty else { return [] }
        return Set(try await rows("SELECT taxpayer_rin FROM callbacks WHERE taxpayer_rin = ANY(\(Array(rins)))") { try $0.decode(String.self) })
    }

    public func callbacks() async throws -> [CallbackRecord] {
        try await rows("SELECT taxpayer_rin, base_url, api_key, language, registered_at FROM callbacks ORDER BY taxpayer_rin", Self.callback)
    }

    // MARK: The outbox

    /// Inserts the notifications whose recipient has a callback, and a dispatch job for each such
    /// recipient that has none; inside the caller's transaction, holding the recipients' callback
    /// rows FOR SHARE until it commits (see the top of this file).
    func enqueue(_ c: PostgresConnection, _ notifications: [NotificationRecord], now: Int64) async throws {
        guard !notifications.isEmpty else { return }
        let recipients = Array(Set(notifications.map(\.recipientRIN))).sorted()
        let withCallback = Set(try await c.rows("""
            SELECT taxpayer_rin FROM callbacks WHERE taxpayer_rin = ANY(\(recipients)) ORDER BY taxpayer_rin FOR SHARE
            """, logger).map { try $0.decode(String.self) })
        guard !withCallback.isEmpty else { return }
        let kept = NotificationRow.rows(notifications.filter { withCallback.contains($0.recipientRIN) })
        try await c.rows("""
            INSERT INTO notifications (recipient_rin, path, type, document_uuid, message, created_at, state, count)
            SELECT u.recipient, u.path, u.type, u.document, u.message, u.created, 'pending', u.count
            FROM unnest(\(kept.map(\.recipientRIN))::text[], \(kept.map(\.path.rawValue))::text[], \(kept.map(\.type))::text[],
                \(kept.map(\.documents))::text[], \(kept.map { ByteBuffer(bytes: $0.messages) })::bytea[], \(kept.map(\.createdAt))::int8[],
                \(kept.map { Int64($0.count) })::int8[]) WITH ORDINALITY AS u(recipient, path, type, document, message, created, count, ord)
            ORDER BY u.ord
            """, logger)
        try await c.rows("""
            INSERT INTO jobs (kind, submission_uuid, created_at) SELECT \(JobKind.dispatch.rawValue), r, \(now) FROM unnest(\(withCallback.sorted())::text[]) AS r
            ON CONFLICT (submission_uuid) WHERE kind = 'dispatch' DO NOTHING
            """, logger)
    }

    /// Waits for the writers of the recipient's notifications that hold lower ids (see the top of this file).
    func lockOutbox(_ c: PostgresConnection, recipient: String) async throws {
        try await c.rows("SELECT 1 FROM callbacks WHERE taxpayer_rin = \(recipient) FOR UPDATE", logger)
    }

    static let notificationColumns = "id, recipient_rin, path, type, document_uuid, message, created_at, state, delivery_id, count"

    /// An outbox row of ``notificationColumns``: its key, state, delivery id (schema v5) and what it stores.
    static func outboxRow(_ row: PostgresRow) throws -> (key: Int64, state: String, deliveryID: String?, stored: NotificationRow) {
        let (id, recipient, path, type, document, message, created, state, deliveryID, count) =
            try row.decode((Int64, String, String, String, String, ByteBuffer, Int64, String, String?, Int64).self)
        return (id, state, deliveryID, NotificationRow(recipientRIN: recipient, path: NotificationPath(rawValue: path) ?? .receipts, type: type, createdAt: created,
                                                       count: Int(count), documents: document, messages: bytes(message)))
    }

    /// The notifications of a row of ``notificationColumns``, with the state and id of the delivery it is in, if any.
    static func notifications(_ row: PostgresRow, in delivery: DeliveryRecord? = nil) throws -> [NotificationRecord] {
        let (key, state, deliveryID, stored) = try outboxRow(row)
        return try stored.notifications(firstID: key, state: delivery.map { Self.state(of: $0.state) } ?? NotificationRecord.State(rawValue: state) ?? .pending,
                                        deliveryID: delivery?.id ?? deliveryID)
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
    func cursor(_ c: PostgresConnection, recipient: String, path: NotificationPath) async throws -> Int64 {
        try await c.rows("SELECT MAX(last_id) FROM deliveries WHERE recipient_rin = \(recipient) AND path = \(path.rawValue)", logger).first?.decode(Int64?.self) ?? 0
    }

    /// The first notification not yet in a delivery of each of the recipient's paths that has one.
    func undelivered(_ c: PostgresConnection, recipient: String) async throws -> [(path: NotificationPath, cursor: Int64, firstID: Int64, createdAt: Int64)] {
        var found: [(path: NotificationPath, cursor: Int64, firstID: Int64, createdAt: Int64)] = []
        for path in NotificationPath.allCases {
            let cursor = try await cursor(c, recipient: recipient, path: path)
            guard let row = try await c.rows("""
                SELECT id, created_at FROM notifications WHERE recipient_rin = \(recipient) AND path = \(path.rawValue) AND state = 'pending' AND id > \(cursor)
                ORDER BY id LIMIT 1
                """, logger).first else { continue }
            let (id, created) = try row.decode((Int64, Int64).self)
            found.append((path, cursor, id, created))
        }
        return found
    }

    /// Fails the recipient's notifications not yet in a delivery; returns how many.
    func failUndelivered(_ c: PostgresConnection, recipient: String) async throws -> Int {
        var failed = 0
        for path in NotificationPath.allCases {
            let cursor = try await cursor(c, recipient: recipient, path: path)
            failed += Int(try await c.rows("""
                WITH failed AS (
                    UPDATE notifications SET state = 'failed' WHERE recipient_rin = \(recipient) AND path = \(path.rawValue) AND state = 'pending' AND id > \(cursor)
                    RETURNING count)
                SELECT COALESCE(SUM(count), 0)::int8 FROM failed
                """, logger).first?.decode(Int64.self) ?? 0)
        }
        return failed
    }

    public func pendingNotifications(recipientRIN: String, upTo limit: Int) async throws -> (count: Int, oldestCreatedAt: Int64?) {
        try await reading { c in
            let paths = try await self.undelivered(c, recipient: recipientRIN)
            var count: Int64 = 0
            for path in paths where count < Int64(limit) {
                count += try await c.rows("""
                    SELECT COALESCE(SUM(count), 0)::int8 FROM (SELECT count FROM notifications WHERE recipient_rin = \(recipientRIN) AND path = \(path.path.rawValue)
                                          AND state = 'pending' AND id > \(path.cursor) LIMIT \(Int64(limit) - count)) AS n
                    """, self.logger).first?.decode(Int64.self) ?? 0
            }
            return (min(Int(count), limit), paths.map(\.createdAt).min())
        }
    }

    public func undeliveredNotificationCount() async throws -> Int {
        let paths = NotificationPath.allCases.map { "SELECT '\($0.rawValue)' COLLATE \"C\" AS path" }.joined(separator: " UNION ALL ")
        return try await reading { c in
            let pending = try await c.rows("""
                SELECT COALESCE(SUM((SELECT COALESCE(SUM(n.count), 0) FROM notifications n
                    WHERE n.recipient_rin = cb.taxpayer_rin AND n.path = p.path AND n.state = 'pending'
                      AND n.id > COALESCE((SELECT MAX(last_id) FROM deliveries d WHERE d.recipient_rin = cb.taxpayer_rin AND d.path = p.path), 0))), 0)::int8
                FROM callbacks cb CROSS JOIN (\(unescaped: paths)) p
                """, self.logger).first?.decode(Int64.self) ?? 0
            let sending = try await c.rows("SELECT COALESCE(SUM(count), 0)::int8 FROM deliveries WHERE state = 'open'", self.logger).first?.decode(Int64.self) ?? 0
            return Int(pending + sending)
        }
    }

    public func failPendingNotifications(recipientRIN: String, now: Int64) async throws -> Int {
        try await writing { c in
            try await self.lockOutbox(c, recipient: recipientRIN)
            var failed = try await self.failUndelivered(c, recipient: recipientRIN)
            failed += Int(try await c.rows("""
                SELECT COALESCE(SUM(count), 0)::int8 FROM deliveries WHERE recipient_rin = \(recipientRIN) AND state = 'open'
                """, self.logger).first?.decode(Int64.self) ?? 0)
            try await c.rows("""
                UPDATE notifications SET state = 'failed' WHERE delivery_id IN (SELECT id FROM deliveries WHERE recipient_rin = \(recipientRIN) AND state = 'open')
                """, self.logger)
            try await c.rows("UPDATE deliveries SET state = 'failed' WHERE recipient_rin = \(recipientRIN) AND state = 'open'", self.logger)
            return failed
        }
    }

    // MARK: Deliveries

    static let deliveryColumns = "id, recipient_rin, path, body, count, state, attempts, next_attempt_at, created_at, delivered_at"

    static func delivery(_ row: PostgresRow) throws -> DeliveryRecord {
        let (id, recipient, path, body, count, state, attempts, next, created, delivered) =
            try row.decode((String, String, String, ByteBuffer, Int64, String, Int64, Int64, Int64, Int64?).self)
        return DeliveryRecord(id: id, recipientRIN: recipient, path: NotificationPath(rawValue: path) ?? .receipts, body: bytes(body), count: Int(count),
                              state: DeliveryRecord.State(rawValue: state) ?? .open, attempts: Int(attempts), nextAttemptAt: next, createdAt: created,
                              deliveredAt: delivered)
    }

    public func openDelivery(recipientRIN: String) async throws -> DeliveryRecord? {
        try await rows("""
            SELECT \(unescaped: Self.deliveryColumns) FROM deliveries WHERE recipient_rin = \(recipientRIN) AND state = 'open' ORDER BY next_attempt_at, created_at LIMIT 1
            """, Self.delivery).first
    }

    public func openDelivery(recipientRIN: String, maximum: Int, id: String, now: Int64,
                             body: @escaping @Sendable (String, [NotificationRecord]) -> [UInt8]) async throws -> DeliveryRecord? {
        try await writing { c in
            try await self.lockOutbox(c, recipient: recipientRIN)
            guard let oldest = try await self.undelivered(c, recipient: recipientRIN).min(by: { $0.firstID < $1.firstID }) else { return nil }
            let path = oldest.path
            // Whole rows while they fit; a first row larger than the maximum is split (DeliveryBatch).
            var batch = DeliveryBatch(maximum: maximum, deliveryID: id)
            for row in try await c.rows("""
                SELECT \(unescaped: Self.notificationColumns) FROM notifications
                WHERE recipient_rin = \(recipientRIN) AND path = \(path.rawValue) AND state = 'pending' AND id >= \(oldest.firstID) ORDER BY id LIMIT \(Int64(maximum))
                """, self.logger) {
                let (key, _, _, stored) = try Self.outboxRow(row)
                guard try batch.take(key: key, stored) else { break }
            }
            guard let first = batch.notifications.first, let last = batch.notifications.last else { return nil }
            if let split = batch.split {
                try await c.rows("""
                    UPDATE notifications SET document_uuid = \(split.head.documents), message = \(ByteBuffer(bytes: split.head.messages)),
                        count = \(Int64(split.head.count))
                    WHERE id = \(split.key)
                    """, self.logger)
                try await c.rows("""
                    INSERT INTO notifications (id, recipient_rin, path, type, document_uuid, message, created_at, state, count)
                    VALUES (\(split.key + Int64(split.head.count)), \(recipientRIN), \(path.rawValue), \(split.tail.type), \(split.tail.documents),
                            \(ByteBuffer(bytes: split.tail.messages)), \(split.tail.createdAt), 'pending', \(Int64(split.tail.count)))
                    """, self.logger)
            }
            let delivery = DeliveryRecord(id: id, recipientRIN: recipientRIN, path: path, body: body(id, batch.notifications), count: batch.notifications.count,
                                          nextAttemptAt: now, createdAt: now)
            try await c.rows("""
                INSERT INTO deliveries (id, recipient_rin, path, body, count, state, attempts, next_attempt_at, created_at, delivered_at, first_id, last_id)
                VALUES (\(id), \(recipientRIN), \(path.rawValue), \(ByteBuffer(bytes: delivery.body)), \(Int64(delivery.count)), 'open', 0, \(now), \(now), NULL,
                        \(first.id), \(last.id))
                """, self.logger)
            return delivery
        }
    }

    /// Not synced, as on SQLite: losing an outcome only sends the delivery again with the same deliveryId.
    public func recordAttempt(_ a: DeliveryAttempt, outcome: DeliveryOutcome) async throws {
        try await writing(synced: false) { c in
            try await c.rows("""
                INSERT INTO delivery_attempts VALUES (\(a.deliveryID), \(a.at), \(a.statusCode.map(Int64.init)), \(a.latencyMilliseconds), \(a.error))
                """, self.logger)
            switch outcome {
            case .delivered:
                try await c.rows("UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, delivered_at = \(a.at) WHERE id = \(a.deliveryID)", self.logger)
                try await c.rows("UPDATE notifications SET state = 'delivered' WHERE delivery_id = \(a.deliveryID)", self.logger)
            case let .retry(at):
                try await c.rows("UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = \(at) WHERE id = \(a.deliveryID)", self.logger)
            case .failed:
                try await c.rows("UPDATE deliveries SET state = 'failed', attempts = attempts + 1 WHERE id = \(a.deliveryID)", self.logger)
                try await c.rows("UPDATE notifications SET state = 'failed' WHERE delivery_id = \(a.deliveryID)", self.logger)
            }
        }
    }

    public func finishDispatch(_ job: ClaimedJob) async throws -> Bool {
        try await writing(synced: false) { c in
            try await self.lockOutbox(c, recipient: job.subject)
            guard try await self.undelivered(c, recipient: job.subject).isEmpty else { return false }
            return !(try await c.rows("""
                DELETE FROM jobs WHERE id = \(job.id) AND lease_owner = \(job.owner.description)
                    AND NOT EXISTS (SELECT 1 FROM deliveries WHERE recipient_rin = \(job.subject) AND state = 'open')
                RETURNING 1
                """, self.logger)).isEmpty
        }
    }

    // MARK: The log

    func attempts(_ c: PostgresConnection, delivery id: String) async throws -> [DeliveryAttempt] {
        try await c.rows("SELECT delivery_id, at, status_code, latency_ms, error FROM delivery_attempts WHERE delivery_id = \(id) ORDER BY at", logger).map { row in
            let (delivery, at, status, latency, error) = try row.decode((String, Int64, Int64?, Int64, String?).self)
            return DeliveryAttempt(deliveryID: delivery, at: at, statusCode: status.map(Int.init), latencyMilliseconds: latency, error: error)
        }
    }

    public func deliveryLog(id: String) async throws -> DeliveryLogEntry? {
        try await reading { c in
            guard let row = try await c.rows("SELECT \(unescaped: Self.deliveryColumns), first_id, last_id FROM deliveries WHERE id = \(id)", self.logger).first else { return nil }
            let delivery = try Self.delivery(row)
            let cells = row.makeRandomAccess()
            let notifications: [NotificationRecord]
            if let first = try cells[10].decode(Int64?.self), let last = try cells[11].decode(Int64?.self) {
                notifications = try await c.rows("""
                    SELECT \(unescaped: Self.notificationColumns) FROM notifications WHERE recipient_rin = \(delivery.recipientRIN) AND path = \(delivery.path.rawValue)
                    AND id BETWEEN \(first) AND \(last) AND state = 'pending' ORDER BY id
                    """, self.logger).flatMap { try Self.notifications($0, in: delivery) }
            } else {
                notifications = try await c.rows("SELECT \(unescaped: Self.notificationColumns) FROM notifications WHERE delivery_id = \(id) ORDER BY id", self.logger)
                    .flatMap { try Self.notifications($0) }
            }
            return DeliveryLogEntry(delivery: delivery, attempts: try await self.attempts(c, delivery: id), notifications: notifications)
        }
    }

    public func deliveries(recipientRIN: String?, state: DeliveryRecord.State?, pageNo: Int, pageSize: Int) async throws -> Page<DeliveryRecord> {
        var conditions: [String] = [], values: [SQLValue] = []
        if let recipientRIN { conditions.append("recipient_rin = ?"); values.append(.text(recipientRIN)) }
        if let state { conditions.append("state = ?"); values.append(.text(state.rawValue)) }
        let condition = conditions.isEmpty ? "true" : conditions.joined(separator: " AND ")
        let offset = Int64(StoredValues.offset(pageNo: pageNo, pageSize: pageSize))
        return try await reading { c in
            let total = try await c.rows(Self.query("SELECT COUNT(*) FROM deliveries WHERE \(condition)", values), self.logger).first?.decode(Int64.self) ?? 0
            let rows = try await c.rows(Self.query("SELECT \(Self.deliveryColumns) FROM deliveries WHERE \(condition) ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
                                                   values + [.integer(Int64(pageSize)), .integer(offset)]), self.logger)
            return Page(items: try rows.map(Self.delivery), totalCount: Int(total))
        }
    }

    public func replayDelivery(id: String, now: Int64) async throws -> Bool {
        try await writing { c in
            guard let recipient = try await c.rows("""
                UPDATE deliveries SET state = 'open', attempts = 0, next_attempt_at = \(now), delivered_at = NULL WHERE id = \(id) AND state <> 'open'
                RETURNING recipient_rin
                """, self.logger).first?.decode(String.self) else { return false }
            try await c.rows("UPDATE notifications SET state = 'sending' WHERE delivery_id = \(id)", self.logger)
            try await c.rows("""
                INSERT INTO jobs (kind, submission_uuid, created_at) VALUES (\(JobKind.dispatch.rawValue), \(recipient), \(now / 1000))
                ON CONFLICT (submission_uuid) WHERE kind = 'dispatch' DO NOTHING
                """, self.logger)
            try await c.rows("UPDATE jobs SET not_before = NULL WHERE kind = \(JobKind.dispatch.rawValue) AND submission_uuid = \(recipient)", self.logger)
            return true
        }
    }

    /// A notification's state in SQL, for a row `n` of `notifications` (a subquery finds its delivery).
    static let effectiveState = """
        (CASE WHEN n.delivery_id IS NOT NULL OR n.state <> 'pending' THEN n.state
         ELSE COALESCE((SELECT CASE d.state WHEN 'open' THEN 'sending' ELSE d.state END FROM deliveries d
                        WHERE d.recipient_rin = n.recipient_rin AND d.path = n.path AND d.last_id >= n.id AND d.first_id <= n.id
                        ORDER BY d.last_id LIMIT 1), 'pending') END)
        """

    public func notifications(_ q: NotificationQuery) async throws -> Page<(notification: NotificationRecord, delivery: DeliveryLogEntry?)> {
        var conditions = ["n.recipient_rin = ?"], values: [SQLValue] = [.text(q.recipientRIN)]
        if let from = q.from { conditions.append("n.created_at >= ?"); values.append(.integer(from)) }
        if let to = q.to { conditions.append("n.created_at <= ?"); values.append(.integer(to)) }
        if let type = q.type { conditions.append("n.type = ?"); values.append(.text(type)) }
        if let state = q.state { conditions.append("\(Self.effectiveState) = ?"); values.append(.text(state.rawValue)) }
        let condition = conditions.joined(separator: " AND ")
        return try await reading { c in
            let total = try await c.rows(Self.query("SELECT COALESCE(SUM(n.count), 0)::int8 FROM notifications n WHERE \(condition)", values), self.logger)
                .first?.decode(Int64.self) ?? 0
            // Newest first, and within a row its highest id first: the rows the page starts and
            // ends in are found by their counts, then only those are read whole.
            var page = NotificationPageWalk(offset: StoredValues.offset(pageNo: q.pageNo, pageSize: q.pageSize), size: q.pageSize)
            // (Two integers a row; a row holds up to a commit's notifications.)
            let walk = try await c.rows(Self.query("SELECT n.id, n.count FROM notifications n WHERE \(condition) ORDER BY n.created_at DESC, n.id DESC", values),
                                        self.logger)
            for row in walk {
                let (key, count) = try row.decode((Int64, Int64).self)
                guard page.take(key: key, count: Int(count)) else { break }
            }
            var logs: [String: DeliveryLogEntry] = [:]
            var items: [(notification: NotificationRecord, delivery: DeliveryLogEntry?)] = []
            for key in page.keys {
                guard let row = try await c.rows("SELECT \(unescaped: Self.notificationColumns) FROM notifications WHERE id = \(key)", self.logger).first else { continue }
                let (_, state, deliveryID, stored) = try Self.outboxRow(row)
                var delivery: DeliveryRecord?
                if let deliveryID {
                    delivery = try await c.rows("SELECT \(unescaped: Self.deliveryColumns) FROM deliveries WHERE id = \(deliveryID)", self.logger).first.map(Self.delivery)
                } else if state == NotificationRecord.State.pending.rawValue {
                    delivery = try await c.rows("""
                        SELECT \(unescaped: Self.deliveryColumns) FROM deliveries WHERE recipient_rin = \(stored.recipientRIN) AND path = \(stored.path.rawValue)
                        AND last_id >= \(key) AND first_id <= \(key) ORDER BY last_id LIMIT 1
                        """, self.logger).first.map(Self.delivery)
                }
                var entry: DeliveryLogEntry?
                if let delivery {
                    if let known = logs[delivery.id] {
                        entry = known
                    } else {
                        entry = DeliveryLogEntry(delivery: delivery, attempts: try await self.attempts(c, delivery: delivery.id), notifications: [])
                        logs[delivery.id] = entry
                    }
                }
                // Batched by SQLite's schema v5 (a moved database): the row names its delivery and carries its own state.
                let notifications = try Self.notifications(row, in: deliveryID == nil ? delivery : nil)
                items += notifications.reversed().map { ($0, entry) }
            }
            return Page(items: page.slice(items), totalCount: Int(total))
        }
    }
}
