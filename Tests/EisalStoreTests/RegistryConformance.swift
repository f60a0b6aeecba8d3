import EisalCore
import EisalStore
import Testing

@Suite("Store conformance: registry")
struct RegistryConformance {
    @Test(arguments: Backend.all)
    func taxpayersClientsAndPOSAreUpsertedAndListed(_ backend: Backend) async throws {
        try await backend.withStore { store in
            #expect(try await store.taxpayers().isEmpty)
            try await store.upsertTaxpayer(TaxpayerRecord(rin: "200000002", name: "B", b2c: false, branches: ["0", "7"], activityCodes: ["4620", "4711"]))
            try await store.upsertTaxpayer(TaxpayerRecord(rin: "100000001", name: "A"))
            try await store.upsertTaxpayer(TaxpayerRecord(rin: "100000001", name: "A renamed"))
            #expect(try await store.taxpayers().map(\.rin) == ["100000001", "200000002"], "ordered by RIN, one row per RIN")
            #expect(try await store.taxpayer(rin: "100000001")?.name == "A renamed")
            let b = try #require(try await store.taxpayer(rin: "200000002"))
            #expect(b.b2c == false && b.branches == ["0", "7"] && b.activityCodes == ["4620", "4711"])
            #expect(try await store.taxpayer(rin: "999999999") == nil)

            try await store.upsertClient(ClientRecord(clientID: "c2", secretHash: "s$h", taxpayerRIN: "200000002", representedRINs: ["100000001"]))
            try await store.upsertClient(ClientRecord(clientID: "c1", secretHash: "s$h", taxpayerRIN: "100000001"))
            try await store.upsertClient(ClientRecord(clientID: "c1", secretHash: "s$h2", taxpayerRIN: "100000001", blocked: true))
            #expect(try await store.clients().map(\.clientID) == ["c1", "c2"])
            #expect(try await store.client(id: "c1")?.blocked == true)
            #expect(try await store.client(id: "c1")?.secretHash == "s$h2")
            #expect(try await store.client(id: "c2")?.representedRINs == ["100000001"])
            #expect(try await store.client(id: "nobody") == nil)

            try await store.upsertPOS(POSRecord(serial: "P2", taxpayerRIN: "200000002", presharedKey: "k2", activated: false))
            try await store.upsertPOS(POSRecord(serial: "P1", taxpayerRIN: "100000001", branchCode: "7", osVersion: "android", modelFramework: "2", presharedKey: "k1"))
            #expect(try await store.posDevices().map(\.serial) == ["P1", "P2"])
            let p1 = try #require(try await store.pos(serial: "P1"))
            #expect(p1.branchCode == "7" && p1.osVersion == "android" && p1.modelFramework == "2" && p1.presharedKey == "k1" && p1.activated)
            #expect(try await store.pos(serial: "P2")?.activated == false)
            #expect(try await store.pos(serial: "nope") == nil)
        }
    }

    @Test(arguments: Backend.all)
    func aPOSKeepsItsLastLoginOnly(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await store.recordPOSLogin(POSLoginRecord(serial: "P1", clientID: "c", at: 10, osVersion: "os", modelFramework: "1", presharedKey: .clientID))
            try await store.recordPOSLogin(POSLoginRecord(serial: "P0", clientID: "c", at: 11, osVersion: nil, modelFramework: nil, presharedKey: .absent))
            try await store.recordPOSLogin(POSLoginRecord(serial: "P1", clientID: "c", at: 12, osVersion: "android", modelFramework: "", presharedKey: .empty))
            let logins = try await store.posLogins()
            #expect(logins.map(\.serial) == ["P0", "P1"])
            #expect(logins[1] == POSLoginRecord(serial: "P1", clientID: "c", at: 12, osVersion: "android", modelFramework: "", presharedKey: .empty))
            #expect(logins[0].osVersion == nil && logins[0].modelFramework == nil, "absent stays absent, not empty")
        }
    }

    /// A secret is created once; every later caller (any node) gets the same bytes.
    @Test(arguments: Backend.all)
    func aNamedSecretIsCreatedOnceAndSharedByEveryCaller(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let values = try await withThrowingTaskGroup(of: [UInt8].self) { group in
                for n in 0 ..< 8 { group.addTask { try await store.secret(named: "key") { [UInt8(n), 1, 2, 3] } } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(values).count == 1, "every concurrent creator got the one stored secret")
            #expect(try await store.secret(named: "key") { [9, 9] } == values[0])
            #expect(try await store.secret(named: "other") { [7] } == [7])
        }
    }
}
