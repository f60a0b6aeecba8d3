// The taxpayer's own record of its receipts (issue 19, item 5; FAQ: "the documents are updated in
// your internal system"): internal receipt number → UUID, longId, submission and status, in a
// SQLite file. The submitter records what the platform accepted; callbacks (`handler`, plugged
// into a `CallbackReceiver`) and the poller (`apply(_:)` of a submission's details) bring the
// verdicts. Updates are idempotent and ordered by rank: a final status (Valid, Invalid,
// Cancelled…) is never replaced by `Submitted`, so a late poll cannot undo a callback.

import EisalCore
import Foundation
import GRDB

/// One receipt in the ledger.
public struct LedgerEntry: Sendable, Hashable {
    /// The issuer's receipt number (`receiptNumber`).
    public var receiptNumber: String
    /// The receipt's UUID, lower case.
    public var uuid: String
    /// The platform's `longId`, once known.
    public var longId: String?
    /// The submission that carried the receipt, when known.
    public var submissionUUID: String?
    /// `Submitted` until a verdict arrives, then the platform's status.
    public var status: String
    /// Where the status came from: `submission`, `callback` or `poll`.
    public var source: String
}

/// Receipts by internal number, with their platform identifiers and status.
public final class ReceiptLedger: Sendable {
    let database: DatabaseQueue

    /// Opens (or creates) the ledger at `path`.
    public init(path: String) throws {
        database = try LocalDatabase.open(path: path)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE receipts (uuid TEXT PRIMARY KEY, receipt_number TEXT NOT NULL, long_id TEXT, submission_uuid TEXT,
                    status TEXT NOT NULL, source TEXT NOT NULL, updated_at REAL NOT NULL);
                CREATE INDEX receipts_number ON receipts (receipt_number);
                """)
        }
        try migrator.migrate(database)
    }

    /// The rank of a status: verdicts outrank `Submitted`, which outranks nothing.
    static func rank(_ status: String) -> Int {
        switch status.lowercased() {
        case "submitted", "inprogress", "in progress": 0
        case "valid", "invalid": 1
        case "cancelled", "rejected": 2 // later life-cycle states
        default: 0 // unknown to the ledger: never blocks a verdict
        }
    }

    /// Records receipts the platform accepted in `submissionUUID` (number, uuid, longId).
    public func recordAccepted(_ receipts: [(receiptNumber: String, uuid: String, longId: String)], submissionUUID: String?) async throws {
        try await database.write { db in
            let now = Date().timeIntervalSince1970
            let statement = try db.cachedStatement(sql: """
                INSERT INTO receipts VALUES (?, ?, ?, ?, 'Submitted', 'submission', ?)
                ON CONFLICT (uuid) DO UPDATE SET long_id = excluded.long_id, submission_uuid = excluded.submission_uuid
                """)
            for r in receipts { try statement.execute(arguments: [r.uuid.lowercased(), r.receiptNumber, r.longId, submissionUUID, now]) }
        }
    }

    /// Applies verdicts: `(uuid, number, longId, status)` from `source`.
    public func apply(_ updates: [(uuid: String, receiptNumber: String?, longId: String?, status: String)], source: String) async throws {
        try await database.write { db in
            let now = Date().timeIntervalSince1970
            for u in updates {
                let uuid = u.uuid.lowercased()
                if let current = try String.fetchOne(db, sql: "SELECT status FROM receipts WHERE uuid = ?", arguments: [uuid]) {
                    guard Self.rank(u.status) >= Self.rank(current) else { continue }
                    try db.execute(sql: "UPDATE receipts SET status = ?, source = ?, long_id = COALESCE(?, long_id), updated_at = ? WHERE uuid = ?",
                                   arguments: [u.status, source, u.longId, now, uuid])
                } else {
                    try db.execute(sql: "INSERT INTO receipts VALUES (?, ?, ?, NULL, ?, ?, ?)", arguments: [uuid, u.receiptNumber ?? "", u.longId, u.status, source, now])
                }
            }
        }
    }

    /// Applies the verdicts of a submission read by polling (Get Receipt Submission).
    public func apply(_ details: ReceiptSubmissionDetails) async throws {
        try await apply(details.receipts.map { ($0.uuid, $0.receiptNumber, $0.longId, $0.status) }, source: "poll")
    }

    /// The handler to give a `CallbackReceiver`: receipt notifications update the ledger
    /// (other notifications are ignored here; chain your own handler for them).
    public var handler: CallbackReceiver.Handler {
        { [self] notification in
            guard notification.channel == .receipts, let uuid = notification.uuid, let status = notification.status else { return }
            try await self.apply([(uuid, notification.number, notification.longId, status)], source: "callback")
        }
    }

    /// The entry of `receiptNumber` (the last recorded, if the number was reused).
    public func entry(receiptNumber: String) async throws -> LedgerEntry? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM receipts WHERE receipt_number = ? ORDER BY rowid DESC LIMIT 1", arguments: [receiptNumber]).map(Self.entry)
        }
    }

    /// The entry of `uuid`.
    public func entry(uuid: String) async throws -> LedgerEntry? {
        try await database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM receipts WHERE uuid = ?", arguments: [uuid.lowercased()]).map(Self.entry) }
    }

    /// How many receipts have each status (and each source, as `status/source`).
    public func counts() async throws -> (byStatus: [String: Int], bySource: [String: Int]) {
        try await database.read { db in
            var byStatus: [String: Int] = [:], bySource: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, source, COUNT(*) AS n FROM receipts GROUP BY status, source") {
                let n: Int = row["n"]
                byStatus[row["status"], default: 0] += n
                bySource[row["source"], default: 0] += n
            }
            return (byStatus, bySource)
        }
    }

    static func entry(_ row: Row) -> LedgerEntry {
        LedgerEntry(receiptNumber: row["receipt_number"], uuid: row["uuid"], longId: row["long_id"], submissionUUID: row["submission_uuid"], status: row["status"], source: row["source"])
    }
}
