import EisalCore
import EisalStore
import Testing

/// Outbox rows that hold several notifications (schema v8): every notification keeps its own id,
/// state and place in deliveries and in the taxpayer's listing, on every backend.
@Suite("Store conformance: outbox rows of several notifications")
struct NotificationRowConformance {
    typealias N = NotificationConformance

    static func names(_ prefix: String, _ count: Int) -> [String] {
        (0 ..< count).map { prefix + String(format: "%03d", $0) }
    }

    static func open(_ store: any PlatformStore, _ id: String, maximum: Int, recipient: String = Fixture.seller) async throws -> DeliveryRecord? {
        try await store.openDelivery(recipientRIN: recipient, maximum: maximum, id: id, now: 7_000) { id, batch in N.body(id, batch) }
    }

    /// 250 notifications of one commit and 30 of another: deliveries of at most 100 take whole
    /// rows, splitting the one larger than the maximum; every notification has its own id, in
    /// order; the listing pages through rows, newest first, each with its delivery's state.
    @Test(arguments: Backend.all)
    func notificationsOfOneCommitShareARowAndKeepTheirOwnIdsStatesAndPlaces(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await store.upsertCallback(N.callback(Fixture.seller))
            try await store.upsertCallback(N.callback("200000002"))
            let first = Self.names("n", 250), second = Self.names("m", 30)
            // The buyer's notifications are interleaved with the issuer's: they get rows of their own.
            let queued = first.flatMap { uuid in
                [N.notification(uuid)] + (uuid.hasSuffix("7") ? [N.notification(uuid, to: "200000002", type: "receipt-received")] : [])
            }
            #expect(try await N.validate(store, "S1", first, notifications: queued))
            #expect(try await N.validate(store, "S2", second, notifications: second.map { N.notification($0, at: 6_000) }))
            #expect(try await store.undeliveredNotificationCount() == 280 + 25)
            #expect(try await store.pendingNotifications(recipientRIN: Fixture.seller, upTo: 1_000) == (count: 280, oldestCreatedAt: 5_000))
            #expect(try await store.pendingNotifications(recipientRIN: Fixture.seller, upTo: 100).count == 100)
            #expect(try await store.pendingNotifications(recipientRIN: "200000002", upTo: 1_000).count == 25)

            let d1 = try #require(try await Self.open(store, "D1", maximum: 100))
            #expect(d1.count == 100)
            #expect(String(decoding: d1.body, as: UTF8.self).hasPrefix(#"{"deliveryId":"D1","type":"receipt","count":100,"message":[{"uuid":"n000"},{"uuid":"n001"},"#))
            try await store.recordAttempt(DeliveryAttempt(deliveryID: "D1", at: 7_000, statusCode: 200, latencyMilliseconds: 1, error: nil), outcome: .delivered)
            #expect(try await Self.open(store, "D2", maximum: 100)?.count == 100)
            try await store.recordAttempt(DeliveryAttempt(deliveryID: "D2", at: 7_000, statusCode: 500, latencyMilliseconds: 1, error: "HTTP 500"), outcome: .retry(at: 9_000))
            #expect(try await store.undeliveredNotificationCount() == 180 + 25)
            // The rest of the first commit's row (50) and the whole second row (30) fit in one.
            let d3 = try #require(try await Self.open(store, "D3", maximum: 100))
            #expect(d3.count == 80)
            try await store.recordAttempt(DeliveryAttempt(deliveryID: "D3", at: 7_000, statusCode: 404, latencyMilliseconds: 1, error: "HTTP 404"), outcome: .failed)
            #expect(try await Self.open(store, "D4", maximum: 100) == nil)

            var logged: [NotificationRecord] = []
            for id in ["D1", "D2", "D3"] { logged += try #require(try await store.deliveryLog(id: id)).notifications }
            #expect(logged.map(\.documentUUID) == first + second)
            #expect(logged.map(\.message) == (first + second).map { Array(#"{"uuid":"\#($0)"}"#.utf8) })
            #expect(zip(logged, logged.dropFirst()).allSatisfy { $0.id < $1.id }, "ids increase, none shared")
            #expect(logged.allSatisfy { $0.recipientRIN == Fixture.seller && $0.type == "receipt-validated" && $0.path == .receipts })
            #expect(logged[..<100].allSatisfy { $0.state == .delivered && $0.deliveryID == "D1" && $0.createdAt == 5_000 })
            #expect(logged[100 ..< 200].allSatisfy { $0.state == .sending && $0.deliveryID == "D2" })
            #expect(logged[200...].allSatisfy { $0.state == .failed && $0.deliveryID == "D3" })

            // Pages of 30: most start or end inside a row.
            var listed: [(notification: NotificationRecord, delivery: DeliveryLogEntry?)] = []
            var query = NotificationQuery(recipientRIN: Fixture.seller, pageNo: 1, pageSize: 30)
            while true {
                let page = try await store.notifications(query)
                #expect(page.totalCount == 280)
                if page.items.isEmpty { break }
                #expect(page.items.count == min(30, 280 - listed.count))
                listed += page.items
                query.pageNo += 1
            }
            #expect(query.pageNo == 11)
            #expect(listed.map(\.notification.documentUUID) == (first + second).reversed())
            let byID = Dictionary(uniqueKeysWithValues: logged.map { ($0.id, $0) })
            #expect(listed.allSatisfy { byID[$0.notification.id] == $0.notification }, "the listing and the log agree on each notification")
            #expect(listed.allSatisfy { $0.delivery?.delivery.id == $0.notification.deliveryID })
            #expect(listed.first(where: { $0.notification.deliveryID == "D2" })?.delivery?.attempts.map(\.statusCode) == [500])

            query = NotificationQuery(recipientRIN: Fixture.seller, pageNo: 2, pageSize: 40)
            query.state = .sending
            let sending = try await store.notifications(query)
            #expect(sending.totalCount == 100 && sending.items.map(\.notification.documentUUID) == Array(first[120 ..< 160].reversed()))
            query = NotificationQuery(recipientRIN: "200000002", pageNo: 1, pageSize: 100)
            #expect(try await store.notifications(query).items.map(\.notification.documentUUID) == first.filter { $0.hasSuffix("7") }.reversed())
        }
    }

    /// A row split by a delivery, then the callback removed: the notifications not yet in a
    /// delivery are failed and counted one by one, and the open delivery's with them.
    @Test(arguments: Backend.all)
    func failingAfterASplitCountsEveryNotification(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await store.upsertCallback(N.callback(Fixture.seller))
            let uuids = Self.names("s", 50)
            #expect(try await N.validate(store, "S1", uuids, notifications: uuids.map { N.notification($0) }))
            #expect(try await Self.open(store, "D1", maximum: 20)?.count == 20)
            #expect(try await store.pendingNotifications(recipientRIN: Fixture.seller, upTo: 1_000).count == 30)
            #expect(try await store.failPendingNotifications(recipientRIN: Fixture.seller, now: 8_000) == 50)
            #expect(try await store.undeliveredNotificationCount() == 0)
            #expect(try await store.deliveryLog(id: "D1")?.notifications.map(\.documentUUID) == Array(uuids[..<20]))
            var query = NotificationQuery(recipientRIN: Fixture.seller)
            query.state = .failed
            let failed = try await store.notifications(query)
            #expect(failed.totalCount == 50 && failed.items.map(\.notification.documentUUID) == uuids.reversed())
            #expect(failed.items.map(\.notification.id) == Array(Set(failed.items.map(\.notification.id))).sorted().reversed(), "distinct ids, newest first")
        }
    }

    /// Several splits of one row hand out the row's ids in order, and a later commit's row
    /// takes ids after all of them.
    @Test(arguments: Backend.all)
    func splitsAndLaterRowsNeverShareAnId(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await store.upsertCallback(N.callback(Fixture.seller))
            let uuids = Self.names("a", 10)
            #expect(try await N.validate(store, "S1", uuids, notifications: uuids.map { N.notification($0) }))
            for k in 1 ... 3 { #expect(try await Self.open(store, "D\(k)", maximum: 3)?.count == 3) }
            #expect(try await N.validate(store, "S2", ["b"], notifications: [N.notification("b", at: 6_000)]))
            #expect(try await Self.open(store, "D4", maximum: 3)?.count == 2, "the last of the split row and the next row")
            var ids: [Int64] = [], documents: [String] = []
            for k in 1 ... 4 {
                let log = try #require(try await store.deliveryLog(id: "D\(k)"))
                ids += log.notifications.map(\.id)
                documents += log.notifications.map(\.documentUUID)
            }
            #expect(documents == uuids + ["b"])
            #expect(Set(ids).count == 11 && ids == ids.sorted())
        }
    }
}

/// The row format and the listing's page walk, without a store.
@Suite("Outbox rows")
struct NotificationRowTests {
    static func notification(_ uuid: String, to rin: String = "1", type: String = "t", at: Int64 = 1, message: String? = nil) -> NotificationRecord {
        NotificationRecord(recipientRIN: rin, path: .receipts, type: type, documentUUID: uuid, message: Array((message ?? #"{"u":"\#(uuid)"}"#).utf8), createdAt: at)
    }

    @Test func rowsGroupByRecipientPathTypeAndTimeAndKeepOrder() throws {
        let input = [Self.notification("a"), Self.notification("b", to: "2"), Self.notification("c"), Self.notification("d", type: "u"), Self.notification("e", at: 2),
                     Self.notification("f", to: "2")]
        let rows = NotificationRow.rows(input)
        #expect(rows.map(\.documents) == ["a,c", "b,f", "d", "e"])
        #expect(rows.map(\.count) == [2, 2, 1, 1])
        #expect(String(decoding: rows[0].messages, as: UTF8.self) == "{\"u\":\"a\"}\n{\"u\":\"c\"}")
        let expanded = try rows[0].notifications(firstID: 40, state: .pending, deliveryID: nil)
        #expect(expanded.map(\.id) == [40, 41] && expanded.map(\.documentUUID) == ["a", "c"] && expanded.map(\.message) == [input[0].message, input[2].message])
        #expect(expanded.allSatisfy { $0.recipientRIN == "1" && $0.type == "t" && $0.createdAt == 1 && $0.state == .pending })
    }

    @Test func rowsHoldAtMostTheirCapacityAndOddValuesStandAlone() throws {
        let many = (0 ..< 7).map { Self.notification("n\($0)") }
        #expect(NotificationRow.rows(many, capacity: 3).map(\.count) == [3, 3, 1])
        let odd = [Self.notification("a"), Self.notification("b", message: "{\"x\":\n1}"), Self.notification("c,d"), Self.notification("e")]
        let rows = NotificationRow.rows(odd)
        #expect(rows.map(\.documents) == ["a,e", "b", "c,d"])
        #expect(try rows[1].notifications(firstID: 1, state: .pending, deliveryID: nil).map(\.message) == [odd[1].message], "stored as it is")
        #expect(try rows[2].notifications(firstID: 1, state: .pending, deliveryID: nil).map(\.documentUUID) == ["c,d"])
        #expect(NotificationRow.rows([]).isEmpty)
    }

    @Test func aSplitKeepsEveryNotificationInOrder() throws {
        let row = try #require(NotificationRow.rows((0 ..< 5).map { Self.notification("n\($0)") }).first)
        let (head, tail) = try row.split(after: 2)
        #expect(head.count == 2 && tail.count == 3 && head.documents == "n0,n1" && tail.documents == "n2,n3,n4")
        let whole = try row.notifications(firstID: 10, state: .sending, deliveryID: "D")
        #expect(try head.notifications(firstID: 10, state: .sending, deliveryID: "D") + tail.notifications(firstID: 12, state: .sending, deliveryID: "D") == whole)
    }

    @Test func aDeliveryBatchTakesWholeRowsAndSplitsOnlyAFirstRowTooLarge() throws {
        let rows = NotificationRow.rows((0 ..< 9).map { Self.notification("n\($0)", at: Int64($0 / 3)) })
        #expect(rows.map(\.count) == [3, 3, 3])
        var batch = DeliveryBatch(maximum: 7, deliveryID: "D")
        #expect(try batch.take(key: 10, rows[0]) && batch.take(key: 13, rows[1]))
        #expect(try batch.take(key: 16, rows[2]) == false, "6 + 3 would pass the maximum: the row waits for the next delivery")
        #expect(batch.split == nil && batch.notifications.map(\.id) == [10, 11, 12, 13, 14, 15])
        #expect(batch.notifications.allSatisfy { $0.state == .sending && $0.deliveryID == "D" })

        var small = DeliveryBatch(maximum: 2, deliveryID: "E")
        #expect(try small.take(key: 16, rows[2]) == false, "a first row larger than the maximum completes the batch")
        #expect(small.notifications.map(\.documentUUID) == ["n6", "n7"] && small.notifications.map(\.id) == [16, 17])
        let split = try #require(small.split)
        #expect(split.key == 16 && split.head.documents == "n6,n7" && split.tail.documents == "n8")
        #expect(try small.take(key: 19, rows[0]) == false, "nothing after a split")
    }

    @Test func aRowWhosePartsDoNotNumberItsCountIsCorrupt() {
        let row = NotificationRow(recipientRIN: "1", path: .receipts, type: "t", createdAt: 1, count: 3, documents: "a,b", messages: Array("{}\n{}\n{}".utf8))
        #expect(throws: StoreError.self) { try row.notifications(firstID: 1, state: .pending, deliveryID: nil) }
    }

    @Test func thePageWalkKeepsTheRowsAPageFallsIn() {
        func walk(_ counts: [Int], offset: Int, size: Int) -> (keys: [Int64], page: [String]) {
            var page = NotificationPageWalk(offset: offset, size: size)
            var items: [String] = []
            for (k, count) in counts.enumerated() {
                guard page.take(key: Int64(k), count: count) else { break }
            }
            for key in page.keys { items += (0 ..< counts[Int(key)]).map { "\(key).\($0)" } }
            return (page.keys, page.slice(items))
        }
        #expect(walk([3, 4, 2], offset: 0, size: 2) == ([0], ["0.0", "0.1"]))
        #expect(walk([3, 4, 2], offset: 2, size: 3) == ([0, 1], ["0.2", "1.0", "1.1"]))
        #expect(walk([3, 4, 2], offset: 3, size: 10) == ([1, 2], ["1.0", "1.1", "1.2", "1.3", "2.0", "2.1"]))
        #expect(walk([3, 4, 2], offset: 8, size: 5) == ([2], ["2.1"]))
        #expect(walk([3, 4, 2], offset: 9, size: 5) == ([], []))
        #expect(walk([3, 4, 2], offset: 0, size: 0) == ([], []))
    }
}
