// The life cycle of invoice documents (DocumentStateStore): the document's row is locked (FOR
// UPDATE) while the transition is decided, so two nodes deciding on one document take turns.

import EisalCore
import EisalStore
import PostgresNIO

extension PostgresStore {
    static let lifecycleColumns = """
        cancel_requested_at, cancel_effective_at, cancel_reason, cancel_declined_at, reject_requested_at, reject_effective_at, reject_reason, reject_declined_at
        """

    public func lifecycle(uuid: String) async throws -> DocumentLifecycle? {
        try await reading { c in
            guard !(try await c.rows("SELECT 1 FROM receipts WHERE uuid = \(uuid.lowercased())", self.logger)).isEmpty else { return nil }
            return try await self.lifecycle(c, uuid.lowercased())
        }
    }

    public func transitionDocument<Outcome: Sendable>(uuid: String, now: Int64,
                                                      _ decide: @escaping @Sendable (DocumentRecord, DocumentLifecycle) -> (DocumentTransition?, Outcome)) async throws -> Outcome? {
        let key = uuid.lowercased()
        return try await writing { c in
            guard !(try await c.rows("SELECT 1 FROM receipts WHERE uuid = \(key) FOR UPDATE", self.logger)).isEmpty,
                  let record = try await self.withTexts(c, c.rows("\(unescaped: Self.selectReceiptsWithText) WHERE r.uuid = \(key)", self.logger)).first else { return nil }
            let (transition, outcome) = decide(record, try await self.lifecycle(c, key))
            guard let transition else { return outcome }
            if let status = transition.status {
                try await c.rows("UPDATE receipts SET status = \(status.rawValue) WHERE uuid = \(key)", self.logger)
            }
            let l = transition.lifecycle
            try await c.rows("""
                INSERT INTO document_states VALUES (\(key), \(l.cancelRequestedAt), \(l.cancelEffectiveAt), \(l.cancelReason), \(l.cancelDeclinedAt),
                    \(l.rejectRequestedAt), \(l.rejectEffectiveAt), \(l.rejectReason), \(l.rejectDeclinedAt))
                ON CONFLICT (uuid) DO UPDATE SET cancel_requested_at = excluded.cancel_requested_at, cancel_effective_at = excluded.cancel_effective_at,
                    cancel_reason = excluded.cancel_reason, cancel_declined_at = excluded.cancel_declined_at, reject_requested_at = excluded.reject_requested_at,
                    reject_effective_at = excluded.reject_effective_at, reject_reason = excluded.reject_reason, reject_declined_at = excluded.reject_declined_at
                """, self.logger)
            try await self.enqueue(c, transition.notifications, now: now)
            let kind = JobKind.documentState.rawValue
            if let at = transition.scheduleAt {
                try await c.rows("""
                    INSERT INTO jobs (kind, submission_uuid, created_at, not_before) VALUES (\(kind), \(key), \(now), \(at))
                    ON CONFLICT (submission_uuid) WHERE kind = 'document-state' DO UPDATE SET not_before = excluded.not_before
                    """, self.logger)
            } else {
                try await c.rows("DELETE FROM jobs WHERE kind = \(kind) AND submission_uuid = \(key)", self.logger)
            }
            return outcome
        }
    }

    func lifecycle(_ c: PostgresConnection, _ uuid: String) async throws -> DocumentLifecycle {
        var l = DocumentLifecycle()
        guard let row = try await c.rows("SELECT \(unescaped: Self.lifecycleColumns) FROM document_states WHERE uuid = \(uuid)", logger).first else { return l }
        (l.cancelRequestedAt, l.cancelEffectiveAt, l.cancelReason, l.cancelDeclinedAt, l.rejectRequestedAt, l.rejectEffectiveAt, l.rejectReason, l.rejectDeclinedAt) =
            try row.decode((Int64?, Int64?, String?, Int64?, Int64?, Int64?, String?, Int64?).self)
        return l
    }
}
