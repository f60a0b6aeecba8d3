import EisalCore
import EisalStore
import Testing

@Suite("Store conformance: leased jobs")
struct JobConformance {
    static let lease: Int64 = 30

    @Test(arguments: Backend.all)
    func jobsAreClaimedOldestFirstByKindAndOneLeaseAtATime(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await Fixture.commit(store, "S1", [Fixture.document("a", in: "S1")])
            try await Fixture.commit(store, "N1", [Fixture.document("n", in: "N1", family: "note")], job: JobKind(rawValue: "validate-note"))
            try await Fixture.commit(store, "S2", [Fixture.document("b", in: "S2")])
            #expect(try await store.pendingJobCount() == 3)
            #expect(try await store.leasedJobCount() == 0)
            let first = try #require(try await store.claimJob(kind: .validation, owner: Fixture.owner, now: 100, leaseSeconds: Self.lease))
            #expect(first.subject == "S1" && first.attempts == 1 && first.kind == .validation && first.owner == Fixture.owner && first.createdAt == 2_000)
            let second = try #require(try await store.claimJob(kind: .validation, owner: Fixture.otherOwner, now: 100, leaseSeconds: Self.lease))
            #expect(second.subject == "S2")
            #expect(try await store.claimJob(kind: .validation, owner: Fixture.otherOwner, now: 100, leaseSeconds: Self.lease) == nil, "every validation job is leased")
            let note = try #require(try await store.claimJob(kind: JobKind(rawValue: "validate-note"), owner: Fixture.owner, now: 100, leaseSeconds: Self.lease))
            #expect(note.subject == "N1")
            #expect(try await store.leasedJobCount() == 3)
        }
    }

    /// An expired lease is taken over; the first owner's commit then fails and changes nothing.
    @Test(arguments: Backend.all)
    func anExpiredLeaseIsStolenAndTheFormerOwnerCannotCommit(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await Fixture.commit(store, "S1", [Fixture.document("a", in: "S1")])
            let mine = try #require(try await store.claimJob(kind: .validation, owner: Fixture.owner, now: 100, leaseSeconds: Self.lease))
            #expect(try await store.claimJob(kind: .validation, owner: Fixture.otherOwner, now: 100 + Self.lease, leaseSeconds: Self.lease) == nil, "not before the lease ends")
            let stolen = try #require(try await store.claimJob(kind: .validation, owner: Fixture.otherOwner, now: 101 + Self.lease, leaseSeconds: Self.lease))
            #expect(stolen.attempts == 2)
            let verdict = [DocumentVerdict(uuid: "a", status: .invalid, errors: [ETAError(code: "X", message: "late")])]
            #expect(try await store.completeJob(mine, verdicts: verdict, status: .invalid, invalidCount: 1, notifications: [], now: 200) == false)
            #expect(try await store.renewLease(mine, until: 999) == false)
            #expect(try await store.deferJob(mine, until: 999) == false)
            #expect(try await store.receipt(uuid: "a")?.status == .submitted, "the lost lease changed nothing")
            #expect(try await store.submission(uuid: "S1")?.status == .inProgress)
            #expect(try await store.completeJob(stolen, verdicts: [DocumentVerdict(uuid: "a", status: .valid, errors: [])], status: .valid, invalidCount: 0, notifications: [], now: 200))
            #expect(try await store.receipt(uuid: "a")?.status == .valid)
            #expect(try await store.submission(uuid: "S1")?.status == .valid)
            #expect(try await store.pendingJobCount() == 0)
            #expect(try await store.verdictCounts(submissionUUID: "S1") == ["a": 1])
        }
    }

    @Test(arguments: Backend.all)
    func aRenewedLeaseIsKeptAndADeferredJobWaits(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await Fixture.commit(store, "S1", [Fixture.document("a", in: "S1")])
            let job = try #require(try await store.claimJob(kind: .validation, owner: Fixture.owner, now: 100, leaseSeconds: 10))
            #expect(try await store.renewLease(job, until: 500))
            #expect(try await store.claimJob(kind: .validation, owner: Fixture.otherOwner, now: 400, leaseSeconds: 10) == nil, "renewed until 500")
            #expect(try await store.deferJob(job, until: 600))
            #expect(try await store.leasedJobCount() == 0)
            #expect(try await store.pendingJobCount() == 1)
            #expect(try await store.claimJob(kind: .validation, owner: Fixture.otherOwner, now: 599, leaseSeconds: 10) == nil, "deferred until 600")
            let again = try #require(try await store.claimJob(kind: .validation, owner: Fixture.otherOwner, now: 600, leaseSeconds: 10))
            #expect(again.attempts == 2 && again.subject == "S1")
        }
    }

    /// A restarted node frees its own leases of a kind, and no one else's.
    @Test(arguments: Backend.all)
    func aNodeReleasesOnlyItsOwnLeasesOfAKind(_ backend: Backend) async throws {
        try await backend.withStore { store in
            for n in 1 ... 3 { try await Fixture.commit(store, "S\(n)", [Fixture.document("d\(n)", in: "S\(n)")]) }
            try await Fixture.commit(store, "N1", [Fixture.document("n", in: "N1", family: "note")], job: JobKind(rawValue: "validate-note"))
            let a = LeaseOwner(node: "node-a", worker: 0), a2 = LeaseOwner(node: "node-a", worker: 1), b = LeaseOwner(node: "node-b", worker: 0)
            for owner in [a, a2, b] { _ = try #require(try await store.claimJob(kind: .validation, owner: owner, now: 100, leaseSeconds: 1000)) }
            _ = try #require(try await store.claimJob(kind: JobKind(rawValue: "validate-note"), owner: a, now: 100, leaseSeconds: 1000))
            #expect(try await store.releaseLeases(node: "node-a", kind: .validation) == 2)
            #expect(try await store.leasedJobCount() == 2, "node-b's lease and node-a's note lease stay")
            #expect(try await store.claimJob(kind: .validation, owner: a, now: 101, leaseSeconds: 1000) != nil)
        }
    }

    /// The end of a validation job writes every verdict, the submission's status and count, and
    /// removes the job, together; each document gets exactly one verdict.
    @Test(arguments: Backend.all)
    func completingAJobWritesEveryVerdictAndTheStatusTogether(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await Fixture.commit(store, "S1", [Fixture.document("a", in: "S1"), Fixture.document("b", in: "S1"), Fixture.document("c", in: "S1")])
            try await Fixture.judge(store, ["b": .invalid])
            #expect(try await store.submission(uuid: "S1")?.status == .invalid)
            #expect(try await store.submission(uuid: "S1")?.invalidCount == 1)
            #expect(try await store.receipt(uuid: "b")?.errors == [ETAError(code: "Rule", message: "broken", propertyPath: "header")])
            #expect(try await store.receipt(uuid: "a")?.errors == [])
            #expect(try await store.verdictCounts(submissionUUID: "S1") == ["a": 1, "b": 1, "c": 1])
            #expect(try await store.pendingJobCount() == 0)
        }
    }
}
