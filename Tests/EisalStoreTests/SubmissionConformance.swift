import EisalCore
import EisalStore
import Testing

@Suite("Store conformance: submissions")
struct SubmissionConformance {
    /// A commit is all or nothing: the submission, its documents, its text and its job together.
    @Test(arguments: Backend.all)
    func aCommitStoresTheSubmissionItsDocumentsAndItsJobTogether(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let committed = try await Fixture.commit(store, "S1", [Fixture.document("a", in: "S1"), Fixture.document("b", in: "S1")])
            #expect(committed.duplicates.isEmpty)
            let s = try #require(try await store.submission(uuid: "S1"))
            #expect(s.receiptCount == 2 && s.status == .inProgress && s.family == "receipt" && s.taxpayerRIN == Fixture.seller)
            #expect(try await store.pendingJobCount() == 1)
            #expect(try await store.existingReceiptUUIDs(["a", "b", "c"]) == ["a", "b"])
            let a = try #require(try await store.receipt(uuid: "a"))
            #expect(a.raw == Array(#"{"uuid":"a"}"#.utf8) && a.status == .submitted && a.errors.isEmpty && a.longId == "L-a")
            #expect(try await store.submission(uuid: "S2") == nil)
        }
    }

    /// Documents already stored are left out in the same transaction and reported; when every
    /// one is, nothing is committed (no submission, no job).
    @Test(arguments: Backend.all)
    func duplicatesAreLeftOutByTheCommit(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await Fixture.commit(store, "S1", [Fixture.document("a", in: "S1")])
            let mixed = try await Fixture.commit(store, "S2", [Fixture.document("a", in: "S2"), Fixture.document("b", in: "S2")])
            #expect(mixed.duplicates == ["a"])
            #expect(try await store.submission(uuid: "S2")?.receiptCount == 1)
            #expect(try await store.receipt(uuid: "a")?.submissionUUID == "S1")
            let none = try await Fixture.commit(store, "S3", [Fixture.document("a", in: "S3"), Fixture.document("b", in: "S3")])
            #expect(none.duplicates == ["a", "b"])
            #expect(try await store.submission(uuid: "S3") == nil)
            #expect(try await store.pendingJobCount() == 2)
        }
    }

    /// Concurrent commits of the same document: exactly one stores it.
    @Test(arguments: Backend.all)
    func concurrentCommitsOfOneDocumentStoreItOnce(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let results = try await withThrowingTaskGroup(of: CommittedSubmission.self) { group in
                for n in 0 ..< 6 { group.addTask { try await Fixture.commit(store, "S\(n)", [Fixture.document("same", in: "S\(n)")]) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { $0.duplicates.isEmpty }.count == 1)
            #expect(try await store.pendingJobCount() == 1)
        }
    }

    /// Each seller's documents are numbered in commit order, across commits; other sellers count apart.
    @Test(arguments: Backend.all)
    func sellerSequencesFollowCommitOrder(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let first = try await Fixture.commit(store, "S1", [Fixture.document("a", in: "S1"), Fixture.document("b", in: "S1")])
            let other = try await Fixture.commit(store, "S2", [Fixture.document("x", in: "S2", seller: "200000002")], taxpayer: "200000002")
            let second = try await Fixture.commit(store, "S3", [Fixture.document("a", in: "S3"), Fixture.document("c", in: "S3")])
            #expect(first.sellerSequences[0] < first.sellerSequences[1])
            #expect(second.sellerSequences[0] == 0, "a duplicate gets no number")
            #expect(second.sellerSequences[1] > first.sellerSequences[1])
            #expect(other.sellerSequences[0] > 0)
            let stored = try await store.receipts(uuids: ["a", "b", "c"]).sorted { $0.sellerSequence < $1.sellerSequence }
            #expect(stored.map(\.uuid) == ["a", "b", "c"])
            #expect(try await store.receipt(uuid: "c")?.sellerSequence == second.sellerSequences[1])
        }
    }

    /// Duplicate detection: the most recent submission of the taxpayer with the payload hash at or after `since`.
    @Test(arguments: Backend.all)
    func recentSubmissionFindsTheSameTaxpayersPayloadInTheWindow(_ backend: Backend) async throws {
        try await backend.withStore { store in
            for (uuid, at, taxpayer) in [("S1", Int64(100), Fixture.seller), ("S2", 200, Fixture.seller), ("S3", 300, "200000002")] {
                var submission = Fixture.submission(uuid, taxpayer: taxpayer, receivedAt: at, payloadHash: "same")
                submission.receiptCount = 1
                _ = try await store.commitSubmission(submission, receipts: [Fixture.document("d-" + uuid, in: uuid, seller: taxpayer)])
            }
            #expect(try await store.recentSubmission(taxpayerRIN: Fixture.seller, payloadHash: "same", since: 0)?.uuid == "S2")
            #expect(try await store.recentSubmission(taxpayerRIN: Fixture.seller, payloadHash: "same", since: 150)?.uuid == "S2")
            #expect(try await store.recentSubmission(taxpayerRIN: Fixture.seller, payloadHash: "same", since: 201) == nil)
            #expect(try await store.recentSubmission(taxpayerRIN: Fixture.seller, payloadHash: "other", since: 0) == nil)
            #expect(try await store.recentSubmission(taxpayerRIN: "200000002", payloadHash: "same", since: 0)?.uuid == "S3")
        }
    }

    /// A submission's documents: in position order, filtered, sorted and paged; texts only when asked.
    @Test(arguments: Backend.all)
    func aSubmissionsDocumentsAreListedInOrderFilteredAndPaged(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await Fixture.commit(store, "OTHER", [Fixture.document("z", in: "OTHER")])
            let documents = (0 ..< 5).map { Fixture.document("d\($0)", in: "S1", number: "R-\(4 - $0)", total: "\($0 + 1).00") }
            try await Fixture.commit(store, "S1", documents)
            try await Fixture.commit(store, "LATER", [Fixture.document("y", in: "LATER")])
            try await Fixture.judge(store, [:])
            try await Fixture.judge(store, ["d1": .invalid, "d3": .invalid])
            func list(_ filter: ReceiptFilter = ReceiptFilter(), sort: ReceiptSort? = nil, page: Int = 1, size: Int = 10, text: Bool = false) async throws -> Page<DocumentRecord> {
                try await store.receipts(ofSubmission: "S1", matching: filter, sort: sort, pageNo: page, pageSize: size, withText: text)
            }
            let all = try await list()
            #expect(all.items.map(\.uuid) == ["d0", "d1", "d2", "d3", "d4"] && all.totalCount == 5)
            #expect(all.items.allSatisfy { $0.raw.isEmpty }, "no texts unless asked")
            #expect(try await list(text: true).items.map { String(decoding: $0.raw, as: UTF8.self) } == documents.map { String(decoding: $0.raw, as: UTF8.self) })
            let page2 = try await list(page: 2, size: 2)
            #expect(page2.items.map(\.uuid) == ["d2", "d3"] && page2.totalCount == 5)
            #expect(try await list(page: 9, size: 2).items.isEmpty)
            var invalid = ReceiptFilter()
            invalid.status = .invalid
            let bad = try await list(invalid)
            #expect(bad.items.map(\.uuid) == ["d1", "d3"] && bad.totalCount == 2)
            #expect(bad.items.allSatisfy { $0.errors == [ETAError(code: "Rule", message: "broken", propertyPath: "header")] }, "errors come back typed")
            var numbered = ReceiptFilter()
            numbered.receiptNumber = "R-0"
            #expect(try await list(numbered).items.map(\.uuid) == ["d4"])
            #expect(try await list(sort: ReceiptSort(key: .receiptNumber, descending: false)).items.map(\.uuid) == ["d4", "d3", "d2", "d1", "d0"])
            #expect(try await list(sort: ReceiptSort(key: .totalAmount, descending: true)).items.first?.uuid == "d4")
        }
    }
}
