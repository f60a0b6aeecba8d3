import EisalCore
import EisalKit
import EisalPlatform
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Hostile input over HTTP (live server)")
struct HostileInputTests {
    /// Malformed submissions never get a 5xx: each is a 202 or a 4xx in the contract's envelope,
    /// and the server keeps answering.
    @Test func malformedSubmissionsGetContractErrorsNeverA500() async throws {
        try await Harness().run { client, startup in
            let token = try await client.posToken(startup.pos)
            var chain = ReceiptChain()
            let valid = ReceiptChain.submission([try chain.next(), try chain.next()])
            var rng = SystemRandomNumberGenerator()
            var bodies: [[UInt8]] = []
            for _ in 0 ..< 80 { bodies.append(Array(valid.prefix(Int.random(in: 0 ..< valid.count, using: &rng)))) }
            for _ in 0 ..< 80 {
                var b = valid
                let choices: [UInt8] = [0x00, 0x1F, 0x22, 0x5C, 0x7B, 0x5D, 0x2C, 0xFF, 0xC3]
                b[Int.random(in: 0 ..< b.count, using: &rng)] = choices.randomElement(using: &rng)!
                bodies.append(b)
            }
            let document = try JSONParser().parse(valid).root.value
            let paths: [[String]] = [["receipts"], ["receipts", "0"], ["receipts", "0", "header"], ["receipts", "0", "itemData"], ["receipts", "0", "seller", "rin"], ["receipts", "0", "totalAmount"]]
            let values: [JSONValue] = [.null, .bool(true), .number("1e400"), .string("x"), .array([]), .object([])]
            for path in paths {
                for value in values { bodies.append(JSONWriter().bytes(Self.setting(document, path[...], value))) }
            }
            bodies.append(Array(String(repeating: "[", count: 10_000).utf8))
            bodies.append(Array(#"{"receipts": [{"header": {"uuid": "\ud800"}}]}"#.utf8))
            for body in bodies {
                let response = try await client.submit(body, token: token)
                #expect(response.status.code < 500, "\(response.status) for \(String(decoding: body.prefix(80), as: UTF8.self))")
                if response.status != .accepted {
                    #expect(response.json["error"]?["code"]?.string?.isEmpty == false, "\(String(buffer: response.body))")
                }
            }
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
        }
    }

    static func setting(_ value: JSONValue, _ path: ArraySlice<String>, _ newValue: JSONValue) -> JSONValue {
        guard let first = path.first else { return newValue }
        switch value {
        case var .object(members):
            if let i = members.firstIndex(where: { $0.0 == first }) { members[i].1 = setting(members[i].1, path.dropFirst(), newValue) }
            return .object(members)
        case var .array(elements):
            if let i = Int(first), i < elements.count { elements[i] = setting(elements[i], path.dropFirst(), newValue) }
            return .array(elements)
        default:
            return value
        }
    }
}
