// The receiver's inbox: what makes the callback idempotent across restarts. A delivery is
// complete once every message of it was handed to the handler. The messages a delivery's handler
// took are recorded in one transaction when the delivery ends, complete or not (a handler that
// threw), so a retry hands over only the rest. A receiver killed while it handles a delivery
// records nothing of it, and hands its messages over again when the platform retries: handlers
// must be idempotent (by uuid and type), as ETA asks of every ERP. A SQLite file (WAL;
// synchronous=NORMAL survives a killed process), one row per message with its JSON text, so the
// inbox is also the ERP's local record of what arrived.

import Foundation
import GRDB

/// What the inbox knows of one delivery.
public struct DeliveryProgress: Sendable, Hashable {
    /// Every message was handled.
    public var complete: Bool
    /// The positions of the messages already handled.
    public var handled: Set<Int>

    /// A delivery's progress.
    public init(complete: Bool, handled: Set<Int>) {
        self.complete = complete
        self.handled = handled
    }
}

/// Records which deliveries and messages were handled.
public protocol NotificationInbox: Sendable {
    /// What was handled of `deliveryId` so far.
    func progress(of deliveryId: String) async throws -> DeliveryProgress
    /// Records `handled` (messages of one delivery) and, when `complete`, the delivery, in one transaction.
    func record(_ handled: [ReceivedNotification], deliveryId: String, channel: NotificationChannel, complete: Bool, count: Int) async throws
}

/// The inbox on a SQLite file.
public final class SQLiteNotificationInbox: NotificationInbox {
    let database: DatabaseQueue

    /// Opens (or creates) the inbox at `path`.
    public init(path: String) throws {
        database = try LocalDatabase.open(path: path)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE deliveries (delivery_id TEXT PRIMARY KEY, channel TEXT NOT NULL, count INTEGER NOT NULL, completed_at REAL NOT NULL);
                CREATE TABLE messages (delivery_id TEXT NOT NULL, position INTEGER NOT NULL, type TEXT, uuid TEXT, number TEXT, status TEXT, json TEXT NOT NULL,
                    handled_at REAL NOT NULL, PRIMARY KEY (delivery_id, position));
                CREATE INDEX messages_uuid ON messages (uuid);
                """)
        }
        migrator.registerMigration("v2-no-uuid-index") { db in
            // Nothing read by uuid, and random keys made every delivery rewrite a page per message.
            try db.execute(sql: "DROP INDEX IF EXISTS messages_uuid")
        }
        try migrator.migrate(database)
    }

    /// What was handled of `deliveryId` so far (`handled` is empty once it is complete).
    public func progress(of deliveryId: String) async throws -> DeliveryProgress {
        try await database.read { db in
            let complete = try Bool.fetchOne(db, sql: "SELECT 1 FROM deliveries WHERE delivery_id = ?", arguments: [deliveryId]) ?? false
            if complete { return DeliveryProgress(complete: true, handled: []) }
            return DeliveryProgress(complete: false, handled: Set(try Int.fetchAll(db, sql: "SELECT position FROM messages WHERE delivery_id = ?", arguments: [deliveryId])))
        }
    }

    /// Records `handled` and, when `complete`, the delivery, in one transaction; messages already
    /// recorded are kept as they were.
    public func record(_ handled: [ReceivedNotification], deliveryId: String, channel: NotificationChannel, complete: Bool, count: Int) async throws {
        try await database.write { db in
            let now = Date().timeIntervalSince1970
            let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            for n in handled {
                try insert.execute(arguments: [n.deliveryId, n.index, n.type, n.uuid, n.number, n.status, n.json, now])
            }
            if complete {
                try db.execute(sql: "INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?, ?)", arguments: [deliveryId, channel.rawValue, count, now])
            }
        }
    }

    /// How many messages the inbox holds (each handled once).
    public func messageCount() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages") ?? 0 }
    }
}
