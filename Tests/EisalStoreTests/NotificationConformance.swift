import EisalCore
import EisalStore
import Testing

/// The notification outbox, deliveries and their log (issue 16), on every backend.
@Suite("Store conformance: notifications")
struct NotificationConformance {
    static func callback(_ rin: String, url: String = "http://127.0.0.1:9") -> CallbackRecord {
        CallbackRecord(taxpayerRIN: rin, baseURL: url, sealedAPIKey: [1, 2, 3], language: "en", registeredAt: 10)
    }

    static func notification(_ uuid: String, to rin: String = Fixture.seller, path: NotificationPath = .receipts, type: String = "receipt-validated", at: Int64 = 5_000) -> NotificationRecord {
        NotificationRecord(recipientRIN: rin, path: path, type: type, documentUUID: uuid, message: Array(#"{"uuid":"\#(uuid)"}"#.utf8), createdAt: at)
    }

    /// Commits one submission of `uuids` and completes its job with `notifications`.
    static func validate(_ store: any PlatformStore, _ submission: String, _ uuids: [String], notifications: [NotificationRecord], owner: LeaseOwner = Fixture.owner) async throws -> Bool {
        try await Fixture.commit(store, submission, uuids.map { Fixture.document($0, in: submission) })
        let job = try #require(try await store.claimJob(kind: .validation, owner: owner, now: 3_000, leaseSeconds: 60))
        return try await store.completeJob(job, verdicts: uuids.map { DocumentVerdict(uuid: $0, status: .valid, errors: []) }, status: .valid, invalidCount: 0,
                                           notifications: notifications, now: 3_000)
    }

    static func body(_ id: String, _ notifications: [NotificationRecord]) -> [UInt8] {
        NotificationDelivery.body(deliveryId: id, type: "receipt", messages: notifications.map(\.message))
    }

    @Test(arguments: Backend.all)
    func callbacksAreUpsertedListedAndRemoved(_ backend: Backend) async throws {
        try await backend.withStore { store in
            #expect(try await store.callback(taxpayerRIN: "100000001") == nil)
            try await store.upsertCallback(Self.callback("100000001"))
            try await store.upsertCallback(Self.callback("200000002"))
            try await store.upsertCallback(Self.callback("100000001", url: "https://erp.example/cb"))
            #expect(try await store.callback(taxpayerRIN: "100000001")?.baseURL == "https://erp.example/cb")
            #expect(try await store.callback(taxpayerRIN: "100000001")?.sealedAPIKey == [1, 2, 3])
            #expect(try await store.callbacks().map(\.taxpayerRIN) == ["100000001", "200000002"])
            #expect(try await store.recipientsWithCallbacks(among: ["100000001", "300000003", "200000002"]) == ["100000001", "200000002"])
            #expect(try await store.recipientsWithCallbacks(among: ["300000003"]).isEmpty)
            #expect(try await store.recipientsWithCallbacks(among: []).isEmpty)
            // More RINs than one statement binds.
            let many = Set((0 ..< 2_000).map { String(400_000_000 + $0) }).union(["200000002"])
            #expect(try await store.recipientsWithCallbacks(among: many) == ["200000002"])
            #expect(try await store.removeCallback(taxpayerRIN: "200000002", now: 1))
            #expect(try await store.removeCallback(taxpayerRIN: "200000002", now: 1) == false)
            #expect(try await store.callbacks().count == 1)
        }
    }

    /// Notifications are written with the verdicts, only for recipients with a callback, and each
    /// such recipient has one dispatch job however many verdicts queue notifications for it.
    @Test(arguments: Backend.all)
    func theOutboxIsWrittenWithTheVerdictsForRecipientsWithCallbacks(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await store.upsertCallback(Self.callback(Fixture.seller))
            #expect(try await Self.validate(store, "S1", ["a", "b"], notifications: [Self.notification("a"), Self.notification("b"), Self.notification("a", to: "999999999", type: "receipt-received")]))
            #expect(try await Self.validate(store, "S2", ["c"], notifications: [Self.notification("c")]))
            #expect(try await store.pendingNotifications(recipientRIN: Fixture.seller, upTo: 1000) == (count: 3, oldestCreatedAt: 5_000))
            #expect(try await store.pendingNotifications(recipientRIN: Fixture.seller, upTo: 2) == (count: 2, oldestCreatedAt: 5_000), "counted no further than asked")
            #expect(try await store.pendingNotifications(recipientRIN: "999999999", upTo: 1000).count == 0, "no callback, no outbox row")
            #expect(try await store.undeliveredNotificationCount() == 3)
            let job = try #require(try await store.claimJob(kind: .dispatch, owner: Fixture.owner, now: 3_001, leaseSeconds: 60))
            #expect(job.subject == Fixture.seller)
            #expect(try await store.claimJob(kind: .dispatch, owner: Fixture.otherOwner, now: 3_001, leaseSeconds: 60) == nil, "one dispatch job per recipient")
        }
    }

    @Test(arguments: Backend.all)
    func aLostLeaseCommitsNoNotifications(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await store.upsertCallback(Self.callback(Fixture.seller))
            try await Fixture.commit(store, "S1", [Fixture.document("a", in: "S1")])
            let mine = try #require(try await store.claimJob(kind: .validation, owner: Fixture.owner, now: 100, leaseSeconds: 10))
            _ = try #require(try await store.claimJob(kind: .validation, owner: Fixture.otherOwner, now: 111, leaseSeconds: 10))
            #expect(try await store.completeJob(mine, verdicts: [DocumentVerdict(uuid: "a", status: .valid, errors: [])], status: .valid, invalidCount: 0,
                                                notifications: [Self.notification("a")], now: 112) == false)
            #expect(try await store.pendingNotifications(recipientRIN: Fixture.seller, upTo: 1000).count == 0)
            #expect(try await store.claimJob(kind: .dispatch, owner: Fixture.owner, now: 113, leaseSeconds: 10) == nil)
        }
    }

    /// A delivery takes the oldest pending notifications of one path, up to the maximum; at most
    /// one is open per recipient; its attempts are logged and its outcome marks its notifications.
    @Test(arguments: Backend.all)
    func deliveriesBatchTheOldestNotificationsOfOnePathAndRecordEveryAttempt(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await store.upsertCallback(Self.callback(Fixture.seller))
            let queued = [Self.notification("a", at: 1), Self.notification("d", path: .documents, type: "document-validated", at: 2), Self.notification("b", at: 3), Self.notification("c", at: 4)]
            #expect(try await Self.validate(store, "S1", ["a", "b", "c", "d"], notifications: queued))
            #expect(try await store.openDelivery(recipientRIN: Fixture.seller) == nil)
            let first = try #require(try await store.openDelivery(recipientRIN: Fixture.seller, maximum: 2, id: "D1", now: 6_000) { id, batch in Self.body(id, batch) })
            #expect(first.id == "D1" && first.count == 2 && first.path == .receipts && first.state == .open && first.attempts == 0 && first.nextAttemptAt == 6_000)
            #expect(String(decoding: first.body, as: UTF8.self) == #"{"deliveryId":"D1","type":"receipt","count":2,"message":[{"uuid":"a"},{"uuid":"b"}]}"#)
            #expect(try await store.openDelivery(recipientRIN: Fixture.seller)?.id == "D1")
            #expect(try await store.pendingNotifications(recipientRIN: Fixture.seller, upTo: 1000).count == 2)
            #expect(try await store.undeliveredNotificationCount() == 4, "sending ones are not delivered yet")

            try await store.recordAttempt(DeliveryAttempt(deliveryID: "D1", at: 6_000, statusCode: 500, latencyMilliseconds: 7, error: "HTTP 500: boom"), outcome: .retry(at: 7_000))
            var open = try #require(try await store.openDelivery(recipientRIN: Fixture.seller))
            #expect(open.attempts == 1 && open.nextAttemptAt == 7_000 && open.state == .open)
            try await store.recordAttempt(DeliveryAttempt(deliveryID: "D1", at: 7_000, statusCode: nil, latencyMilliseconds: 5_000, error: "timeout"), outcome: .retry(at: 9_000))
            try await store.recordAttempt(DeliveryAttempt(deliveryID: "D1", at: 9_000, statusCode: 200, latencyMilliseconds: 3, error: nil), outcome: .delivered)
            #expect(try await store.openDelivery(recipientRIN: Fixture.seller) == nil)
            let log = try #require(try await store.deliveryLog(id: "D1"))
            #expect(log.delivery.state == .delivered && log.delivery.attempts == 3 && log.delivery.deliveredAt == 9_000)
            #expect(log.attempts.map(\.statusCode) == [500, nil, 200] && log.attempts.map(\.error) == ["HTTP 500: boom", "timeout", nil])
            #expect(log.notifications.map(\.documentUUID) == ["a", "b"] && log.notifications.allSatisfy { $0.state == .delivered && $0.deliveryID == "D1" })

            // The next batch is the documents one (the oldest pending is of that path), alone.
            open = try #require(try await store.openDelivery(recipientRIN: Fixture.seller, maximum: 10, id: "D2", now: 10_000) { id, batch in Self.body(id, batch) })
            #expect(open.path == .documents && open.count == 1)
            try await store.recordAttempt(DeliveryAttempt(deliveryID: "D2", at: 10_000, statusCode: 404, latencyMilliseconds: 1, error: "HTTP 404"), outcome: .failed)
            #expect(try await store.deliveryLog(id: "D2")?.notifications.map(\.state) == [.failed])
            let last = try #require(try await store.openDelivery(recipientRIN: Fixture.seller, maximum: 10, id: "D3", now: 11_000) { id, batch in Self.body(id, batch) })
            #expect(last.count == 1 && last.path == .receipts)
            #expect(try await store.openDelivery(recipientRIN: Fixture.seller, maximum: 10, id: "D4", now: 11_000) { id, batch in Self.body(id, batch) } == nil, "nothing pending")
            #expect(try await store.deliveryLog(id: "nope") == nil)
        }
    }

    /// The dispatch job ends only when nothing is pending or open for its recipient.
    @Test(arguments: Backend.all)
    func aDispatchJobFinishesOnlyWhenItsRecipientHasNothingLeft(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await store.upsertCallback(Self.callback(Fixture.seller))
            #expect(try await Self.validate(store, "S1", ["a"], notifications: [Self.notification("a")]))
            let job = try #require(try await store.claimJob(kind: .dispatch, owner: Fixture.owner, now: 4_000, leaseSeconds: 60))
            #expect(try await store.finishDispatch(job) == false, "a notification is pending")
            _ = try await store.openDelivery(recipientRIN: Fixture.seller, maximum: 10, id: "D1", now: 6_000) { id, batch in Self.body(id, batch) }
            #expect(try await store.finishDispatch(job) == false, "a delivery is open")
            try await store.recordAttempt(DeliveryAttempt(deliveryID: "D1", at: 6_000, statusCode: 200, latencyMilliseconds: 1, error: nil), outcome: .delivered)
            #expect(try await store.finishDispatch(job))
            #expect(try await store.claimJob(kind: .dispatch, owner: Fixture.owner, now: 4_100, leaseSeconds: 60) == nil)
            // A new notification brings a new job.
            #expect(try await Self.validate(store, "S2", ["b"], notifications: [Self.notification("b")]))
            #expect(try await store.claimJob(kind: .dispatch, owner: Fixture.owner, now: 4_200, leaseSeconds: 60)?.subject == Fixture.seller)
        }
    }

    /// Replay opens a finished delivery again with the same id and body, and queues its recipient.
    @Test(arguments: Backend.all)
    func aReplayReopensAFinishedDeliveryWithTheSameBody(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await store.upsertCallback(Self.callback(Fixture.seller))
            #expect(try await Self.validate(store, "S1", ["a"], notifications: [Self.notification("a")]))
            let job = try #require(try await store.claimJob(kind: .dispatch, owner: Fixture.owner, now: 4_000, leaseSeconds: 60))
            let delivery = try #require(try await store.openDelivery(recipientRIN: Fixture.seller, maximum: 10, id: "D1", now: 6_000) { id, batch in Self.body(id, batch) })
            #expect(try await store.replayDelivery(id: "D1", now: 6_500) == false, "an open delivery is not replayed")
            try await store.recordAttempt(DeliveryAttempt(deliveryID: "D1", at: 6_000, statusCode: 500, latencyMilliseconds: 1, error: "HTTP 500"), outcome: .failed)
            #expect(try await store.finishDispatch(job))
            #expect(try await store.replayDelivery(id: "D1", now: 8_000))
            let reopened = try #require(try await store.openDelivery(recipientRIN: Fixture.seller))
            #expect(reopened.id == "D1" && reopened.body == delivery.body && reopened.attempts == 0 && reopened.nextAttemptAt == 8_000 && reopened.state == .open)
            #expect(try await store.deliveryLog(id: "D1")?.attempts.count == 1, "the earlier attempts stay in the log")
            #expect(try await store.deliveryLog(id: "D1")?.notifications.map(\.state) == [.sending])
            #expect(try await store.claimJob(kind: .dispatch, owner: Fixture.owner, now: 9, leaseSeconds: 60)?.subject == Fixture.seller)
            #expect(try await store.replayDelivery(id: "nope", now: 8_000) == false)
        }
    }

    @Test(arguments: Backend.all)
    func removingACallbackFailsItsPendingNotifications(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await store.upsertCallback(Self.callback(Fixture.seller))
            #expect(try await Self.validate(store, "S1", ["a", "b"], notifications: [Self.notification("a"), Self.notification("b")]))
            #expect(try await store.removeCallback(taxpayerRIN: Fixture.seller, now: 7_000))
            #expect(try await store.pendingNotifications(recipientRIN: Fixture.seller, upTo: 1000).count == 0)
            #expect(try await store.undeliveredNotificationCount() == 0)
            let listed = try await store.notifications(NotificationQuery(recipientRIN: Fixture.seller))
            #expect(listed.items.map(\.notification.state) == [.failed, .failed])
        }
    }

    /// Notifications failed while no callback was registered stay failed, and a delivery after a new
    /// registration carries only what came later, whatever the ids between its first and last.
    @Test(arguments: Backend.all)
    func aDeliveryAfterReRegistrationCarriesOnlyLaterNotifications(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await store.upsertCallback(Self.callback(Fixture.seller))
            try await store.upsertCallback(Self.callback("200000002"))
            #expect(try await Self.validate(store, "S1", ["a", "b"], notifications: [Self.notification("a"), Self.notification("b")]))
            let first = try #require(try await store.openDelivery(recipientRIN: Fixture.seller, maximum: 1, id: "D1", now: 6_000) { id, batch in Self.body(id, batch) })
            #expect(first.count == 1)
            #expect(try await store.removeCallback(taxpayerRIN: Fixture.seller, now: 7_000))
            try await store.upsertCallback(Self.callback(Fixture.seller))
            // Interleaved with another recipient's, so the seller's ids are not consecutive.
            #expect(try await Self.validate(store, "S2", ["c", "d", "e"], notifications: [Self.notification("c"), Self.notification("d", to: "200000002"), Self.notification("e")],
                                            owner: LeaseOwner(node: "n", worker: 2)))
            let second = try #require(try await store.openDelivery(recipientRIN: Fixture.seller, maximum: 10, id: "D2", now: 8_000) { id, batch in Self.body(id, batch) })
            #expect(second.count == 2 && second.body == Self.body("D2", [Self.notification("c"), Self.notification("e")]))
            #expect(try await store.deliveryLog(id: "D2")?.notifications.map(\.documentUUID) == ["c", "e"])
            #expect(try await store.deliveryLog(id: "D1")?.notifications.map(\.documentUUID) == ["a"])
            let states = try await store.notifications(NotificationQuery(recipientRIN: Fixture.seller)).items.map { ($0.notification.documentUUID, $0.notification.state, $0.notification.deliveryID) }
            #expect(states.sorted { $0.0 < $1.0 }.map { "\($0.0):\($0.1.rawValue):\($0.2 ?? "-")" } == ["a:sending:D1", "b:failed:-", "c:sending:D2", "e:sending:D2"])
            #expect(try await store.pendingNotifications(recipientRIN: "200000002", upTo: 10).count == 1)
            #expect(try await store.undeliveredNotificationCount() == 4, "the buyer's one pending and the open deliveries' three")
        }
    }

    @Test(arguments: Backend.all)
    func failingPendingNotificationsFailsTheOpenDeliveryToo(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await store.upsertCallback(Self.callback(Fixture.seller))
            #expect(try await Self.validate(store, "S1", ["a", "b"], notifications: [Self.notification("a"), Self.notification("b")]))
            _ = try await store.openDelivery(recipientRIN: Fixture.seller, maximum: 1, id: "D1", now: 6_000) { id, batch in Self.body(id, batch) }
            #expect(try await store.failPendingNotifications(recipientRIN: Fixture.seller, now: 7_000) == 2)
            #expect(try await store.openDelivery(recipientRIN: Fixture.seller) == nil)
            #expect(try await store.deliveryLog(id: "D1")?.delivery.state == .failed)
        }
    }

    /// The taxpayer's listing: newest first, filtered by time, type and state, paged, and only the
    /// taxpayer's own.
    @Test(arguments: Backend.all)
    func theTaxpayerListingFiltersPagesAndIsPerTaxpayer(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await store.upsertCallback(Self.callback(Fixture.seller))
            try await store.upsertCallback(Self.callback("200000002"))
            let queued = (0 ..< 5).map { Self.notification("r\($0)", at: 1_000 * Int64($0 + 1)) } + [Self.notification("x", to: "200000002", type: "receipt-received", at: 2_500)]
            #expect(try await Self.validate(store, "S1", (0 ..< 5).map { "r\($0)" } + ["x"], notifications: queued))
            _ = try await store.openDelivery(recipientRIN: Fixture.seller, maximum: 2, id: "D1", now: 6_000) { id, batch in Self.body(id, batch) }
            try await store.recordAttempt(DeliveryAttempt(deliveryID: "D1", at: 6_000, statusCode: 200, latencyMilliseconds: 2, error: nil), outcome: .delivered)

            var query = NotificationQuery(recipientRIN: Fixture.seller, pageNo: 1, pageSize: 2)
            var page = try await store.notifications(query)
            #expect(page.totalCount == 5 && page.items.map(\.notification.documentUUID) == ["r4", "r3"])
            query.pageNo = 3
            page = try await store.notifications(query)
            #expect(page.items.map(\.notification.documentUUID) == ["r0"])
            #expect(page.items.first?.delivery?.delivery.id == "D1" && page.items.first?.delivery?.attempts.map(\.statusCode) == [200])
            query = NotificationQuery(recipientRIN: Fixture.seller)
            query.from = 2_000
            query.to = 4_000
            #expect(try await store.notifications(query).items.map(\.notification.documentUUID) == ["r3", "r2", "r1"])
            query = NotificationQuery(recipientRIN: Fixture.seller)
            query.state = .delivered
            #expect(try await store.notifications(query).items.map(\.notification.documentUUID) == ["r1", "r0"])
            query = NotificationQuery(recipientRIN: "200000002")
            query.type = "receipt-received"
            #expect(try await store.notifications(query).items.map(\.notification.documentUUID) == ["x"])
            query.type = "receipt-validated"
            #expect(try await store.notifications(query).totalCount == 0)
        }
    }

    @Test(arguments: Backend.all)
    func deliveriesAreListedNewestFirstByRecipientAndState(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await store.upsertCallback(Self.callback(Fixture.seller))
            try await store.upsertCallback(Self.callback("200000002"))
            #expect(try await Self.validate(store, "S1", ["a", "b", "c"], notifications: [Self.notification("a"), Self.notification("b"), Self.notification("c", to: "200000002")]))
            _ = try await store.openDelivery(recipientRIN: Fixture.seller, maximum: 1, id: "D1", now: 6_000) { id, batch in Self.body(id, batch) }
            try await store.recordAttempt(DeliveryAttempt(deliveryID: "D1", at: 6_000, statusCode: 200, latencyMilliseconds: 2, error: nil), outcome: .delivered)
            _ = try await store.openDelivery(recipientRIN: Fixture.seller, maximum: 1, id: "D2", now: 7_000) { id, batch in Self.body(id, batch) }
            _ = try await store.openDelivery(recipientRIN: "200000002", maximum: 1, id: "E1", now: 8_000) { id, batch in Self.body(id, batch) }
            #expect(try await store.deliveries(recipientRIN: Fixture.seller, state: nil, pageNo: 1, pageSize: 10).items.map(\.id) == ["D2", "D1"])
            #expect(try await store.deliveries(recipientRIN: Fixture.seller, state: .open, pageNo: 1, pageSize: 10).items.map(\.id) == ["D2"])
            let all = try await store.deliveries(recipientRIN: nil, state: nil, pageNo: 2, pageSize: 2)
            #expect(all.totalCount == 3 && all.items.map(\.id) == ["D1"])
        }
    }
}
