import EisalCore
import EisalKit
import EisalPlatform
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Contract error codes (live server)")
struct ErrorCodeTests {
    func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.json["error"]?["code"]?.string == code, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
        #expect(response.json["error"]?["message"]?.string?.isEmpty == false, sourceLocation: sourceLocation)
    }

    @Test func intakeErrorsFollowTheContract() async throws {
        let (clock, hand) = PlatformClock.manual(Int64(Date().timeIntervalSince1970))
        try await Harness { $0.maximumReceiptsPerSubmission = 3; $0.maximumSubmissionBytes = 64 * 1024; $0.clock = clock }.run { client, startup in
            let token = try await client.posToken(startup.pos)
            var chain = ReceiptChain()

            // 400 BadStructure
            expectError(try await client.submit(Array(#"{"receipts": ["#.utf8), token: token), .badRequest, "BadStructure")
            expectError(try await client.submit(Array(#"{"receipts": "x"}"#.utf8), token: token), .badRequest, "BadStructure")
            expectError(try await client.submit(Array(#"{"receipts": []}"#.utf8), token: token), .badRequest, "BadStructure")
            let extra = try await client.submit(Array(#"{"receipts": [{}], "documents": []}"#.utf8), token: token)
            expectError(extra, .badRequest, "BadStructure")
            #expect(extra.json["error"]?["target"]?.string == "documents")
            expectError(try await client.submit(Array(#"{"receipts": [{}], "signatures": [{"signatureType": "X"}]}"#.utf8), token: token), .badRequest, "BadStructure")

            // 400 MaximumSizeExceeded: count and bytes, limits named in the details.
            let four = try (0 ..< 4).map { _ in try chain.next() }
            let tooMany = try await client.submit(ReceiptChain.submission(four), token: token)
            expectError(tooMany, .badRequest, "MaximumSizeExceeded")
            #expect(tooMany.json["error"]?["message"]?.string?.hasPrefix("The submission has 4 receipts;") == true)
            #expect(tooMany.json["error"]?["details"]?.elements.map { $0["target"]?.string } == ["maximumSubmissionBytes", "maximumReceiptsPerSubmission"])
            let huge = Array(#"{"receipts": [{"pad": ""#.utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 70 * 1024) + Array(#""}]}"#.utf8)
            let hugeResponse = try await client.submit(huge, token: token)
            expectError(hugeResponse, .badRequest, "MaximumSizeExceeded")
            // The message gives the submission's own size (its Content-Length), not the limit + 1.
            #expect(hugeResponse.json["error"]?["message"]?.string?.hasPrefix("The submission is \(huge.count) bytes;") == true, "\(hugeResponse.json["error"]?["message"]?.string ?? "")")

            // 415
            expectError(try await client.submit(Array("x".utf8), token: token, contentType: "text/plain"), .unsupportedMediaType, "UnsupportedMediaType")

            // 401: none, forged, expired.
            expectError(try await client.get("/api/v1/receipts/search", token: nil), .unauthorized, "Unauthorized")
            expectError(try await client.get("/api/v1/receipts/search", token: token + "x"), .unauthorized, "Unauthorized")

            // 202, then 422 DuplicateSubmission with Retry-After.
            chain = ReceiptChain()
            let receipt = try chain.next()
            let body = ReceiptChain.submission([receipt])
            #expect(try await client.submit(body, token: token).status == .accepted)
            hand.advance(by: 100)
            let duplicate = try await client.submit(body, token: token)
            expectError(duplicate, .unprocessableContent, "DuplicateSubmission")
            #expect(duplicate.headers[.retryAfter] == "500")
            // The same receipt inside another payload: refused per receipt.
            let again = try await client.submit(ReceiptChain.submission([receipt, try chain.next()]), token: token)
            #expect(again.status == .accepted)
            #expect(again.json["rejectedDocuments"]?.elements.first?["error"]?["code"]?.string == "DuplicateReceipt")
            #expect(again.json["acceptedDocuments"]?.count == 1)
            hand.advance(by: 501)
            let later = try await client.submit(body, token: token)
            #expect(later.status == .accepted)
            #expect(later.json["submissionUUID"]?.isNull == true)
            #expect(later.json["rejectedDocuments"]?.elements.first?["error"]?["code"]?.string == "DuplicateReceipt")

            // Token lifetime: after 3600 s the token is refused.
            hand.advance(by: 3600)
            expectError(try await client.get("/api/v1/receipts/search", token: token), .unauthorized, "Unauthorized")
        }
    }

    @Test func incorrectSubmitter() async throws {
        try await Harness().run { client, startup in
            let admin: HTTPFields = [HTTPField.Name("X-Admin-Key")!: "test-admin-key", .contentType: "application/json"]
            func post(_ path: String, _ json: String) async throws -> JSONNode {
                let response = try await client.execute(uri: path, method: .post, headers: admin, body: ByteBuffer(string: json))
                #expect(response.status == .created, "\(String(buffer: response.body))")
                return response.json
            }
            #expect(try await client.execute(uri: "/admin/taxpayers", method: .get, headers: [:]).status == .unauthorized)
            _ = try await post("/admin/taxpayers", #"{"rin": "200000002", "name": "Other Co"}"#)
            _ = try await post("/admin/taxpayers", #"{"rin": "300000003", "name": "No B2C Co", "b2c": false}"#)
            let other = try await post("/admin/pos", #"{"taxpayerRIN": "200000002", "serial": "OTHER-POS"}"#)
            let sleeping = try await post("/admin/pos", #"{"taxpayerRIN": "200000002", "serial": "SLEEPING-POS", "activated": false}"#)
            let noB2C = try await post("/admin/clients", #"{"taxpayerRIN": "300000003"}"#)
            func credentials(_ n: JSONNode) throws -> IssuedCredentials { try JSONNodeDecoder().decode(IssuedCredentials.self, from: n) }

            // A receipt issued by another taxpayer.
            let token = try await client.posToken(startup.pos)
            var foreign = ReceiptChain(rin: "200000002", pos: "DEMO-POS-1")
            let response = try await client.submit(ReceiptChain.submission([try foreign.next()]), token: token)
            expectError(response, .forbidden, "IncorrectSubmitter")
            #expect(response.json["error"]?["details"]?.elements.first?["propertyPath"]?.string == "receipts[0].seller.rin")
            // The other taxpayer's own POS may submit it.
            var own = ReceiptChain(rin: "200000002", pos: "OTHER-POS")
            #expect(try await client.submit(ReceiptChain.submission([try own.next()]), token: try await client.posToken(credentials(other))).status == .accepted)
            // A POS that is not activated.
            var asleep = ReceiptChain(rin: "200000002", pos: "SLEEPING-POS")
            expectError(try await client.submit(ReceiptChain.submission([try asleep.next()]), token: try await client.posToken(credentials(sleeping))), .forbidden, "IncorrectSubmitter")
            // A taxpayer without the B2C tag.
            var plain = ReceiptChain(rin: "300000003", pos: "X")
            expectError(try await client.submit(ReceiptChain.submission([try plain.next()]), token: try await client.erpToken(credentials(noB2C))), .forbidden, "IncorrectSubmitter")
        }
    }

    @Test func tokenEndpointSpeaksOAuth() async throws {
        try await Harness().run { client, startup in
            let pos = startup.pos
            func token(_ fields: [(String, String)], headers extra: [(String, String)] = []) async throws -> (HTTPResponse.Status, String?) {
                var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
                for (k, v) in extra { headers[HTTPField.Name(k)!] = v }
                let response = try await client.execute(uri: "/connect/token", method: .post, headers: headers, body: client.form(fields))
                return (response.status, response.json["error"]?.string)
            }
            let ok = [("grant_type", "client_credentials"), ("client_id", pos.clientID), ("client_secret", pos.clientSecret)]
            let posHeaders = [("posserial", pos.posSerial!), ("pososversion", pos.posOSVersion!), ("presharedkey", pos.presharedKey!)]
            #expect(try await token(ok, headers: posHeaders).0 == .ok)
            #expect(try await token(ok).0 == .ok) // the same credentials as an ERP login
            // Blocked calls (FAQ anti-pattern 7): spec/identity.md's stand-in answer is invalid_client.
            #expect(try await token([("client_id", pos.clientID), ("client_secret", pos.clientSecret)]) == (.badRequest, "invalid_client"))
            #expect(try await token([("grant_type", "client_credentials"), ("client_secret", "x")]) == (.badRequest, "invalid_client"))
            #expect(try await token([("grant_type", "client_credentials"), ("client_id", pos.clientID)]) == (.badRequest, "invalid_client"))
            #expect(try await token([("grant_type", "password"), ("client_id", pos.clientID), ("client_secret", "x")]) == (.badRequest, "unsupported_grant_type"))
            for placeholder in ["", "0", "YOUR_CLIENT_ID"] {
                #expect(try await token([("grant_type", "client_credentials"), ("client_id", placeholder), ("client_secret", "x")]) == (.badRequest, "invalid_client"))
                #expect(try await token([("grant_type", "password"), ("client_id", placeholder), ("client_secret", "x")]) == (.badRequest, "invalid_client"), "blocked before the grant type is looked at")
            }
            #expect(try await token([("grant_type", "client_credentials"), ("client_id", "nobody"), ("client_secret", "x")]) == (.badRequest, "invalid_client"))
            #expect(try await token([("grant_type", "client_credentials"), ("client_id", pos.clientID), ("client_secret", "wrong")]) == (.badRequest, "invalid_clientsecret"))
            #expect(try await token(ok, headers: [("posserial", "NOPE"), ("pososversion", "os"), ("presharedkey", pos.presharedKey!)]) == (.badRequest, "invalid_posserial"))
            // pososversion, posmodelframework and presharedkey are compared only in strict mode (POSLoginTests).
            // Basic authorization instead of form fields (RFC 6749 §2.3.1), as Odoo sends it.
            let basic = Data("\(pos.clientID):\(pos.clientSecret)".utf8).base64EncodedString()
            let response = try await client.execute(uri: "/connect/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .authorization: "Basic \(basic)"], body: client.form([("grant_type", "client_credentials")]))
            #expect(response.status == .ok)
            #expect(response.json["token_type"]?.string == "Bearer")
            #expect(response.json["expires_in"]?.numberLexeme == "3600")
            #expect(response.json["scope"]?.string == "InvoicingAPI")
        }
    }
}
