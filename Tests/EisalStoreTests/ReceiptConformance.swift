import EisalCore
import EisalStore
import Testing

@Suite("Store conformance: documents and the rules' queries")
struct ReceiptConformance {
    @Test(arguments: Backend.all)
    func documentsAreFoundByUUIDWhateverTheCase(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await Fixture.commit(store, "S1", [Fixture.document("ab12", in: "S1"), Fixture.document("cd34", in: "S1")])
            #expect(try await store.receipt(uuid: "AB12")?.uuid == "ab12")
            #expect(try await store.receipt(uuid: "nope") == nil)
            #expect(Set(try await store.receipts(uuids: ["ab12", "cd34", "zz"]).map(\.uuid)) == ["ab12", "cd34"])
            #expect(try await store.receipts(uuids: []).isEmpty)
            #expect(try await store.receipts(uuids: ["cd34"]).first?.raw == Array(#"{"uuid":"cd34"}"#.utf8), "with its text")
        }
    }

    /// A number is taken by an earlier document of the same seller, POS and branch that is not
    /// invalid; pending while the only earlier ones await their verdicts; free when they are invalid.
    @Test(arguments: Backend.all)
    func receiptNumberConflictsFollowTheSequenceAndTheEarlierVerdicts(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await Fixture.commit(store, "S1", [Fixture.document("a", in: "S1", number: "N1"), Fixture.document("b", in: "S1", number: "N2")])
            try await Fixture.commit(store, "S2", [
                Fixture.document("c", in: "S2", number: "N1"), Fixture.document("d", in: "S2", number: "N2"),
                Fixture.document("e", in: "S2", pos: "P2", number: "N1"), Fixture.document("f", in: "S2", branch: "9", number: "N1"),
                Fixture.document("g", in: "S2", number: "N3"),
            ])
            #expect(try await store.receiptNumberConflicts(submissionUUID: "S2") == ["c": .pending, "d": .pending])
            #expect(try await store.receiptNumberConflicts(submissionUUID: "S1").isEmpty, "later documents never take an earlier one's number")
            try await Fixture.judge(store, ["b": .invalid])
            #expect(try await store.receiptNumberConflicts(submissionUUID: "S2") == ["c": .taken])
        }
    }

    @Test(arguments: Backend.all)
    func chainKeysAndEarlierReceiptsOfAPOSFollowTheSequence(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let first = try await Fixture.commit(store, "S1", [Fixture.document("a", in: "S1"), Fixture.document("b", in: "S1", pos: "P2")])
            let second = try await Fixture.commit(store, "S2", [Fixture.document("c", in: "S2", previous: "a")])
            let keys = try await store.chainKeys(uuids: ["a", "b", "missing"])
            #expect(keys["a"] == ChainKey(posSerial: "P1", sellerRIN: Fixture.seller, sellerSequence: first.sellerSequences[0]))
            #expect(keys["b"]?.posSerial == "P2")
            #expect(keys["missing"] == nil)
            #expect(try await store.chainKeys(uuids: []).isEmpty)
            #expect(try await store.posHasReceipts(posSerial: "P1", taxpayerRIN: Fixture.seller, before: first.sellerSequences[0]) == false)
            #expect(try await store.posHasReceipts(posSerial: "P1", taxpayerRIN: Fixture.seller, before: second.sellerSequences[0]) == true)
            #expect(try await store.posHasReceipts(posSerial: "P2", taxpayerRIN: Fixture.seller, before: first.sellerSequences[1]) == false)
            #expect(try await store.posHasReceipts(posSerial: "P1", taxpayerRIN: "200000002", before: .max) == false, "another seller's POS of that name")
        }
    }

    @Test(arguments: Backend.all)
    func returnsOfASaleAreFound(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await Fixture.commit(store, "S1", [Fixture.document("sale", in: "S1"), Fixture.document("lonely", in: "S1")])
            try await Fixture.commit(store, "S2", [Fixture.document("r2", in: "S2", type: "r", reference: "sale", issuedAt: 1_200),
                                                   Fixture.document("r1", in: "S2", type: "r", reference: "sale", issuedAt: 1_100)])
            #expect(try await store.returns(referencing: "sale").map(\.uuid) == ["r1", "r2"], "by issue time")
            #expect(try await store.returns(referencing: "lonely").isEmpty)
            #expect(try await store.uuidsWithReturns(among: ["sale", "lonely", "r1"]) == ["sale"])
            #expect(try await store.uuidsWithReturns(among: []).isEmpty)
        }
    }

    /// Search and Recent: only the caller's issued or received receipts, by direction, filtered, sorted and paged.
    @Test(arguments: Backend.all)
    func searchIsolatesTaxpayersAndFiltersSortsAndPages(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let me = Fixture.seller, other = "200000002"
            try await Fixture.commit(store, "S1", [
                Fixture.document("mine1", in: "S1", number: "M1", issuedAt: 1_000, total: "5"),
                Fixture.document("mine2", in: "S1", pos: "P2", number: "M2", buyer: ("B", other, "Other Co"), issuedAt: 2_000, total: "50"),
            ])
            try await Fixture.commit(store, "S2", [
                Fixture.document("theirs", in: "S2", seller: other, issuedAt: 1_500),
                Fixture.document("toMe", in: "S2", seller: other, buyer: ("B", me, "Me Co"), issuedAt: 1_600),
            ], taxpayer: other)
            func search(_ taxpayer: String = me, direction: String? = nil, _ adjust: (inout ReceiptQuery) -> Void = { _ in }) async throws -> Page<DocumentRecord> {
                var q = ReceiptQuery(taxpayerRIN: taxpayer)
                q.direction = direction
                adjust(&q)
                return try await store.search(q)
            }
            #expect(try await search().items.map(\.uuid) == ["mine2", "toMe", "mine1"], "issued and received, newest issued first")
            #expect(try await search(direction: "Submitted").items.map(\.uuid) == ["mine2", "mine1"])
            #expect(try await search(direction: "Received").items.map(\.uuid) == ["toMe"])
            #expect(try await search(other).items.map(\.uuid) == ["mine2", "toMe", "theirs"], "the other taxpayer sees what it issued or received")
            #expect(try await search("300000003").items.isEmpty)
            #expect(try await search { $0.filter.posSerial = "P2" }.items.map(\.uuid) == ["mine2"])
            #expect(try await search { $0.filter.issuedFrom = 1_550; $0.filter.issuedTo = 1_900 }.items.map(\.uuid) == ["toMe"])
            #expect(try await search { $0.filter.freeText = "Other Co" }.items.map(\.uuid) == ["mine2"])
            #expect(try await search { $0.sort = ReceiptSort(key: .totalAmount, descending: false) }.items.first?.uuid == "mine1")
            let page = try await search { $0.pageNo = 2; $0.pageSize = 2 }
            #expect(page.items.map(\.uuid) == ["mine1"] && page.totalCount == 3)
            #expect(try await search { $0.family = "note" }.items.isEmpty, "another family is listed apart")
        }
    }
}
