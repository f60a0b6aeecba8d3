// The receiver's inbox: what makes the callback idempotent across restarts. A delivery is
// complete once every message of it was handed to the handler; each handled message is recorded
// as it is handled, so a retry of a delivery that failed half-way hands over only the rest. A
// SQLite file (WAL; synchronous=NORMAL survives a killed process), one row per message with its
// JSON text, so the inbox is also the ERP's local record of what arrived.

import Foundation
import GRDB

/// Records which deliveries and messages were handled.
public protocol NotificationInbox: Sendable {
    /// Whether every message of `deliveryId` was handled.
    func isComplete(_ deliveryId: String) async throws -> Bool
    /// The positions of the messages of `deliveryId` already handled.
    func handledIndices(_ deliveryId: String) async throws -> Set<Int>
    /// Records that message `notification.index` of its delivery was handled.
    func recordHandled(_ notification: ReceivedNotification) async throws
    /// Records that the whole delivery was handled.
    func recordComplete(deliveryId: String, channel: NotificationChannel, count: Int) async throws
}

/// The inbox on a SQLite file.
public final class SQLiteNotificationInbox: NotificationInbox {
    let database: DatabaseQueue

    /// Opens (or creates) the inbox at `path`.
    public init(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        database = try DatabaseQueue(path: path, configuration: configuration)
        try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE deliveries (delivery_id TEXT PRIMARY KEY, channel TEXT NOT NULL, count INTEGER NOT NULL, completed_at REAL NOT NULL);
                CREATE TABLE messages (delivery_id TEXT NOT NULL, position INTEGER NOT NULL, type TEXT, uuid TEXT, number TEXT, status TEXT, json TEXT NOT NULL,
                    handled_at REAL NOT NULL, PRIMARY KEY (delivery_id, position));
                CREATE INDEX messages_uuid ON messages (uuid);
                """)
        }
        try migrator.migrate(database)
    }

    public func isComplete(_ deliveryId: String) async throws -> Bool {
        try await database.read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM deliveries WHERE delivery_id = ?", arguments: [deliveryId]) ?? false }
    }

    public func handledIndices(_ deliveryId: String) async throws -> Set<Int> {
        try await database.read { db in Set(try Int.fetchAll(db, sql: "SELECT position FROM messages WHERE delivery_id = ?", arguments: [deliveryId])) }
    }

    public func recordHandled(_ n: ReceivedNotification) async throws {
        try await database.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           arguments: [n.deliveryId, n.index, n.type, n.uuid, n.number, n.status, n.json, Date().timeIntervalSince1970])
        }
    }

    public func recordComplete(deliveryId: String, channel: NotificationChannel, count: Int) async throws {
        try await database.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?, ?)", arguments: [deliveryId, channel.rawValue, count, Date().timeIntervalSince1970])
        }
    }

    /// How many messages the inbox holds (each handled once).
    public func messageCount() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages") ?? 0 }
    }
}
