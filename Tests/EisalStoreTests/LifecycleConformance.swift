import EisalCore
import EisalStore
import Testing

/// The life cycle of invoice documents (issue 17): a decided transition is applied with its
/// status, record, notifications and scheduled job in one transaction; no decision, no write.
@Suite("Store conformance: document life cycle")
struct LifecycleConformance {
    static func committed(_ store: any PlatformStore) async throws {
        let document = Fixture.document("doc-1", in: "S1", buyer: ("B", "200000002", "Buyer"), family: DocumentFamily.invoice.name)
        try await Fixture.commit(store, "S1", [document])
        try await Fixture.judge(store)
    }

    @Test(arguments: Backend.all)
    func aTransitionIsAppliedWholeAndSchedulesTheDocumentsJob(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await Self.committed(store)
            try await store.upsertCallback(NotificationConformance.callback("200000002"))
            #expect(try await store.lifecycle(uuid: "missing") == nil)
            #expect(try await store.lifecycle(uuid: "doc-1") == DocumentLifecycle())
            let missing: Bool?? = try await store.transitionDocument(uuid: "missing", now: 4_000) { _, _ in (nil, true) }
            #expect(missing == nil)

            // A request: the record and the job at its delayed date; the status unchanged.
            let seen = try await store.transitionDocument(uuid: "doc-1", now: 4_000) { record, lifecycle -> (DocumentTransition?, String) in
                var next = lifecycle
                next.cancelRequestedAt = 4_000
                next.cancelEffectiveAt = 5_000
                next.cancelReason = "wrong buyer"
                return (DocumentTransition(lifecycle: next, scheduleAt: 5_000), record.status.rawValue)
            }
            #expect(seen == "Valid")
            #expect(try await store.lifecycle(uuid: "doc-1")?.cancelReason == "wrong buyer")
            #expect(try await store.claimJob(kind: .documentState, owner: Fixture.owner, now: 4_999, leaseSeconds: 60) == nil)
            let job = try #require(try await store.claimJob(kind: .documentState, owner: Fixture.owner, now: 5_000, leaseSeconds: 60))
            #expect(job.subject == "doc-1")

            // No decision: nothing written.
            _ = try await store.transitionDocument(uuid: "doc-1", now: 5_000) { _, _ in (DocumentTransition?.none, 0) }
            #expect(try await store.lifecycle(uuid: "doc-1")?.cancelEffectiveAt == 5_000)

            // The effect: status, notification and the job's removal together.
            let notification = NotificationConformance.notification("doc-1", to: "200000002", path: .documents, type: "document-cancelled")
            _ = try await store.transitionDocument(uuid: "doc-1", now: 5_000) { _, lifecycle in
                (DocumentTransition(status: .cancelled, lifecycle: lifecycle, notifications: [notification], scheduleAt: nil), 0)
            }
            #expect(try await store.receipt(uuid: "doc-1")?.status == .cancelled)
            #expect(try await store.pendingNotifications(recipientRIN: "200000002", upTo: 10).count == 1)
            #expect(try await store.renewLease(job, until: 6_000) == false)
            #expect(try await store.claimJob(kind: .documentState, owner: Fixture.owner, now: 9_000, leaseSeconds: 60) == nil)
            #expect(try await store.claimJob(kind: .dispatch, owner: Fixture.owner, now: 9_000, leaseSeconds: 60)?.subject == "200000002")
        }
    }

    @Test(arguments: Backend.all)
    func aDocumentHasOneScheduledJobWhateverItsRequests(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await Self.committed(store)
            for at: Int64 in [7_000, 6_000] {
                _ = try await store.transitionDocument(uuid: "doc-1", now: 4_000) { _, lifecycle in (DocumentTransition(lifecycle: lifecycle, scheduleAt: at), 0) }
            }
            // Moved to the later call's time, not duplicated.
            let job = try #require(try await store.claimJob(kind: .documentState, owner: Fixture.owner, now: 6_000, leaseSeconds: 60))
            #expect(try await store.claimJob(kind: .documentState, owner: Fixture.otherOwner, now: 6_030, leaseSeconds: 60) == nil)
            #expect(try await store.deferJob(job, until: 7_000))
            _ = try await store.transitionDocument(uuid: "doc-1", now: 4_000) { _, lifecycle in (DocumentTransition(lifecycle: lifecycle, scheduleAt: nil), 0) }
            #expect(try await store.claimJob(kind: .documentState, owner: Fixture.owner, now: 9_000, leaseSeconds: 60) == nil)
        }
    }
}
