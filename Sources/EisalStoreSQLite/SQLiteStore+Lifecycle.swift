// The life cycle of invoice documents (DocumentStateStore): one row per document that had a
// cancel or reject request, changed with the document's status, its notifications and its
// scheduled job in one synced transaction (a 200 to Cancel or Reject means it is on disk).

import EisalCore
import EisalStore
import Foundation
import GRDB

extension SQLiteStore {
    public func lifecycle(uuid: String) async throws -> DocumentLifecycle? {
        try reading { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM receipts WHERE uuid = ?", arguments: [uuid.lowercased()]) == true else { return nil }
            return try Self.lifecycle(db, uuid.lowercased())
        }
    }

    public func transitionDocument<Outcome: Sendable>(uuid: String, now: Int64,
                                                      _ decide: @escaping @Sendable (DocumentRecord, DocumentLifecycle) -> (DocumentTransition?, Outcome)) async throws -> Outcome? {
        let key = uuid.lowercased()
        return try await writing { db in
            guard let record = try Self.withTexts(db, Row.fetchAll(db, sql: "\(Self.selectReceiptsWithText) WHERE uuid = ?", arguments: [key])).first else { return nil }
            let (transition, outcome) = decide(record, try Self.lifecycle(db, key))
            guard let transition else { return outcome }
            if let status = transition.status {
                try db.execute(sql: "UPDATE receipts SET status = ? WHERE uuid = ?", arguments: [status.rawValue, key])
            }
            let l = transition.lifecycle
            try db.execute(sql: "INSERT OR REPLACE INTO document_states VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", arguments: [
                key, l.cancelRequestedAt, l.cancelEffectiveAt, l.cancelReason, l.cancelDeclinedAt, l.rejectRequestedAt, l.rejectEffectiveAt, l.rejectReason, l.rejectDeclinedAt,
            ])
            try Self.enqueue(db, transition.notifications, now: now)
            if let at = transition.scheduleAt {
                try db.execute(sql: "INSERT OR IGNORE INTO jobs (kind, submission_uuid, created_at, not_before) VALUES (?, ?, ?, ?)",
                               arguments: [JobKind.documentState.rawValue, key, now, at])
                try db.execute(sql: "UPDATE jobs SET not_before = ? WHERE kind = ? AND submission_uuid = ?", arguments: [at, JobKind.documentState.rawValue, key])
            } else {
                try db.execute(sql: "DELETE FROM jobs WHERE kind = ? AND submission_uuid = ?", arguments: [JobKind.documentState.rawValue, key])
            }
            return outcome
        }
    }

    static func lifecycle(_ db: Database, _ uuid: String) throws -> DocumentLifecycle {
        var l = DocumentLifecycle()
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM document_states WHERE uuid = ?", arguments: [uuid]) else { return l }
        l.cancelRequestedAt = row["cancel_requested_at"]
        l.cancelEffectiveAt = row["cancel_effective_at"]
        l.cancelReason = row["cancel_reason"]
        l.cancelDeclinedAt = row["cancel_declined_at"]
        l.rejectRequestedAt = row["reject_requested_at"]
        l.rejectEffectiveAt = row["reject_effective_at"]
        l.rejectReason = row["reject_reason"]
        l.rejectDeclinedAt = row["reject_declined_at"]
        return l
    }
}
