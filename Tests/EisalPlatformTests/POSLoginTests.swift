import EisalCore
import EisalKit
import EisalPlatform
import EisalStoreSQLite
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// POS logins as public ETA clients send them (spec/identity.md, stand-in decision of 2026-11-29):
/// `posserial` names a POS of the client's taxpayer; the other three headers are recorded, not compared.
@Suite("POS login headers of real clients (live server)")
struct POSLoginTests {
    /// The POS headers each public client sends, `<key>`/`<client>` standing for the registered
    /// pre-shared key and the client id.
    static let clients: [(name: String, headers: [(String, String)])] = [
        ("Odoo l10n_eg_edi_pos", [("posserial", "<serial>"), ("pososversion", "os"), ("posmodelframework", "1"), ("presharedkey", "<client>")]),
        ("ERPNext (Axentor) POS connector", [("posserial", "<serial>"), ("pososversion", "os")]),
        ("Laravel PHP client", [("posserial", "<serial>"), ("pososversion", "android"), ("presharedkey", "")]),
        ("C# client", [("posserial", "<serial>"), ("pososversion", "Windows")]),
        ("second Odoo module", [("posserial", "<serial>"), ("pososversion", "os"), ("posmodelframework", ""), ("presharedkey", "<key>")]),
        ("ETA SDK example", [("posserial", "<serial>"), ("pososversion", "os"), ("posmodelframework", "1"), ("presharedkey", "<key>")]),
    ]

    static func headers(_ pairs: [(String, String)], _ pos: IssuedCredentials) -> HTTPFields {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        for (name, value) in pairs {
            headers.append(HTTPField(name: HTTPField.Name(name)!, value: value.replacingOccurrences(of: "<serial>", with: pos.posSerial!)
                .replacingOccurrences(of: "<key>", with: pos.presharedKey!).replacingOccurrences(of: "<client>", with: pos.clientID)))
        }
        return headers
    }

    static func login(_ client: some TestClientProtocol, _ pos: IssuedCredentials, _ pairs: [(String, String)]) async throws -> TestResponse {
        try await client.execute(uri: "/connect/token", method: .post, headers: headers(pairs, pos),
                                 body: client.form([("grant_type", "client_credentials"), ("client_id", pos.clientID), ("client_secret", pos.clientSecret)]))
    }

    @Test(arguments: clients.indices)
    func eachPublicClientGetsATokenAndSubmitsAReceipt(_ index: Int) async throws {
        let (name, pairs) = Self.clients[index]
        try await Harness().run { client, startup in
            let response = try await Self.login(client, startup.pos, pairs)
            #expect(response.status == .ok, "\(name): \(String(buffer: response.body))")
            let token = try #require(response.json["access_token"]?.string)
            var chain = ReceiptChain()
            let submitted = try await client.submit(ReceiptChain.submission([try chain.next()]), token: token)
            #expect(submitted.status == .accepted, "\(name): \(String(buffer: submitted.body))")
            #expect(submitted.json["acceptedDocuments"]?.count == 1)
        }
    }

    @Test func whatThePOSSentIsRecordedAndListed() async throws {
        try await Harness().run { client, startup in
            let pos = startup.pos
            #expect(try await Self.login(client, pos, Self.clients[0].headers).status == .ok)
            let listing = try await client.execute(uri: "/admin/pos", method: .get, headers: [HTTPField.Name("X-Admin-Key")!: "test-admin-key"])
            let login = try #require(listing.json.elements.first { $0["serial"]?.string == pos.posSerial }?["lastLogin"])
            #expect(login["osVersion"]?.string == "os")
            #expect(login["modelFramework"]?.string == "1")
            #expect(login["presharedKey"]?.string == "client-id", "Odoo sends its client id as the key")
            #expect(try await Self.login(client, pos, Self.clients[2].headers).status == .ok)
            let again = try await client.execute(uri: "/admin/pos", method: .get, headers: [HTTPField.Name("X-Admin-Key")!: "test-admin-key"])
            let second = try #require(again.json.elements.first { $0["serial"]?.string == pos.posSerial }?["lastLogin"])
            #expect(second["osVersion"]?.string == "android")
            #expect(second["modelFramework"] == nil, "absent, not empty")
            #expect(second["presharedKey"]?.string == "empty")
        }
    }

    @Test func posserialIsStillRequiredAndMustBeThisTaxpayersPOS() async throws {
        try await Harness().run { client, startup in
            let pos = startup.pos
            for pairs in [[("pososversion", "os")], [("posserial", ""), ("pososversion", "os")], [("posserial", "NOPE"), ("pososversion", "os")]] {
                let response = try await Self.login(client, pos, pairs)
                #expect(response.status == .badRequest)
                #expect(response.json["error"]?.string == "invalid_posserial", "\(pairs)")
            }
            // No POS header at all: the toolkit's id/secret-only mode, an ERP-channel token.
            #expect(try await Self.login(client, pos, []).status == .ok)
        }
    }

    @Test func strictModeComparesEveryHeader() async throws {
        try await Harness { $0.posLoginPolicy = .strict }.run { client, startup in
            try await Self.expectStrictRefusals(client, startup.pos)
        }
    }

    static func expectStrictRefusals(_ client: some TestClientProtocol, _ pos: IssuedCredentials) async throws {
        func code(_ pairs: [(String, String)]) async throws -> String? { try await login(client, pos, pairs).json["error"]?.string }
        let good = [("posserial", "<serial>"), ("pososversion", "os"), ("posmodelframework", "1"), ("presharedkey", "<key>")]
        #expect(try await login(client, pos, good).status == .ok)
        #expect(try await code([("posserial", "<serial>"), ("pososversion", "os"), ("posmodelframework", "1"), ("presharedkey", "bad")]) == "invalid_presharedkey")
        #expect(try await code([("posserial", "<serial>"), ("pososversion", "os"), ("posmodelframework", "1")]) == "invalid_presharedkey")
        #expect(try await code([("posserial", "<serial>"), ("pososversion", "other"), ("posmodelframework", "1"), ("presharedkey", "<key>")]) == "invalid_pososversion")
        #expect(try await code([("posserial", "<serial>"), ("pososversion", "os"), ("posmodelframework", "9"), ("presharedkey", "<key>")]) == "invalid_posmodelframework")
        #expect(try await code([("posserial", "<serial>"), ("pososversion", "os"), ("presharedkey", "<key>")]) == "invalid_posmodelframework")
        for client_ in clients.dropLast() {
            let status = try await login(client, pos, client_.headers).status
            #expect(status == .badRequest, "\(client_.name) is refused in strict mode")
        }
    }
}
