// POST /connect/token: OAuth 2 client credentials for ERP systems and POS devices.
// Sources: ETA SDK /api/01-login-as-taxpayer-system/, /ereceiptapi/01-authenticate-pos/;
// spec/identity.md (credentials in the form or in Basic auth; POS headers `posserial`,
// `pososversion`, `posmodelframework`, `presharedkey`; OAuth error codes). FAQ anti-pattern 7:
// calls without client_id, client_secret or grant_type, or with client_id empty, `0` or
// `YOUR_CLIENT_ID`, are refused without touching the database.

import EisalCore
import EisalStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// What a token request carries.
struct TokenRequest: Sendable {
    var grantType: String?
    var clientID: String?
    var clientSecret: String?
    var scope: String?
    var onBehalfOf: String?
    var posSerial: String?
    var posOSVersion: String?
    var posModelFramework: String?
    var presharedKey: String?
}

/// How the optional POS login headers are treated (spec/identity.md, stand-in decision of
/// 2026-11-29).
public enum POSLoginPolicy: String, Sendable, CaseIterable {
    /// `posserial` required; `pososversion`, `posmodelframework` and `presharedkey` optional and
    /// not compared (missing, empty or any value), only recorded. What every public client needs.
    case lenient
    /// All four required and compared with the registered POS (`invalid_presharedkey`,
    /// `invalid_pososversion`, `invalid_posmodelframework`).
    case strict
}

/// Issues tokens after checking credentials against the registry.
struct IdentityService<Store: RegistryStore>: Sendable {
    let store: Store
    let tokens: TokenService
    var posLoginPolicy: POSLoginPolicy = .lenient

    func token(for request: TokenRequest) async throws -> JSONValue {
        // Anti-pattern 7: refused before any database access.
        // A call missing any of the three is one FAQ anti-pattern 7 blocks. spec/identity.md's
        // stand-in decision answers every blocked call with 400 `invalid_client`, not the generic
        // `invalid_request`; the description says which field is missing.
        guard let grantType = request.grantType, !grantType.isEmpty else { throw OAuthError(.invalidClient, "grant_type is required.") }
        guard let clientID = request.clientID else { throw OAuthError(.invalidClient, "client_id is required (form field or Basic authorization).") }
        guard let secret = request.clientSecret, !secret.isEmpty else { throw OAuthError(.invalidClient, "client_secret is required (form field or Basic authorization).") }
        guard !TokenCall.placeholderClientIDs.contains(clientID.trimmingCharacters(in: .whitespaces)) else {
            throw OAuthError(.invalidClient, "client_id '\(clientID)' is a placeholder: use the client id registered for your ERP or POS.")
        }
        guard grantType == "client_credentials" else { throw OAuthError(.unsupportedGrantType, "Only grant_type=client_credentials is supported.") }
        guard let client = try await store.client(id: clientID) else { throw OAuthError(.invalidClient, "Unknown client_id.") }
        guard Identifiers.verifySecret(secret, against: client.secretHash) else { throw OAuthError(.invalidClientSecret, "The client secret is wrong.") }
        guard !client.blocked else { throw OAuthError(.unauthorizedClient, "User blocked") }
        var taxpayerRIN = client.taxpayerRIN
        if let represented = request.onBehalfOf, !represented.isEmpty {
            guard client.representedRINs.contains(represented) else {
                throw OAuthError(.unauthorizedClient, "This client may not act on behalf of taxpayer \(represented).")
            }
            taxpayerRIN = represented
        }
        guard let taxpayer = try await store.taxpayer(rin: taxpayerRIN) else { throw OAuthError(.unauthorizedClient, "The client's taxpayer is not registered.") }
        let posSerial = try await posLogin(request, clientID: client.clientID, taxpayerRIN: taxpayerRIN)
        let now = tokens.clock.now()
        let scope = request.scope.flatMap { $0.isEmpty ? nil : $0 } ?? "InvoicingAPI"
        let principal = Principal(
            sub: client.clientID, tin: taxpayerRIN, pos: posSerial, ch: posSerial == nil ? "ERP" : "POS",
            rep: client.representedRINs, TaxProfTags: taxpayer.b2c ? ["B2C"] : [], scope: scope,
            iat: now, exp: now + tokens.lifetime, jti: Identifiers.random(16)
        )
        return .object([
            ("access_token", .string(try tokens.issue(principal))),
            ("expires_in", .number(String(tokens.lifetime))),
            ("token_type", .string("Bearer")),
            ("scope", .string(scope)),
        ])
    }
}

extension IdentityService {
    /// The POS serial of a POS login, nil for an ERP login. A login is a POS login when any of
    /// the four POS headers is present; `posserial` must then name a POS registered to the
    /// token's taxpayer. Whether the POS is activated is checked when receipts are submitted, on
    /// every channel (seed receipt-submission-api.txt).
    func posLogin(_ request: TokenRequest, clientID: String, taxpayerRIN: String) async throws -> String? {
        guard request.posSerial != nil || request.posOSVersion != nil || request.posModelFramework != nil || request.presharedKey != nil else { return nil }
        guard let serial = request.posSerial, !serial.isEmpty else {
            throw OAuthError(.invalidPOSSerial, "A POS login needs the posserial header (the POS's registered serial number); send no POS headers at all for an ERP login.")
        }
        guard let pos = try await store.pos(serial: serial), pos.taxpayerRIN == taxpayerRIN else {
            throw OAuthError(.invalidPOSSerial, "POS serial '\(serial)' is not registered for taxpayer \(taxpayerRIN).")
        }
        if posLoginPolicy == .strict {
            guard let key = request.presharedKey, key == pos.presharedKey else { throw OAuthError(.invalidPresharedKey, "The pre-shared key does not match POS '\(serial)'.") }
            guard let os = request.posOSVersion, os == pos.osVersion else { throw OAuthError(.invalidPOSOSVersion, "pososversion does not match POS '\(serial)'.") }
            guard let framework = request.posModelFramework, framework == pos.modelFramework else {
                throw OAuthError(.invalidPOSModelFramework, "posmodelframework does not match POS '\(serial)'.")
            }
        }
        let key: POSLoginRecord.PresharedKeyState = switch request.presharedKey {
        case nil: .absent
        case ""?: .empty
        case pos.presharedKey?: .matches
        case clientID?: .clientID
        default: .differs
        }
        try await store.recordPOSLogin(POSLoginRecord(serial: serial, clientID: clientID, at: tokens.clock.now(),
                                                      osVersion: request.posOSVersion, modelFramework: request.posModelFramework, presharedKey: key))
        return serial
    }
}

/// Reads `application/x-www-form-urlencoded` bodies.
enum FormBody {
    static func parse(_ bytes: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in bytes.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            if fields[name] == nil { fields[name] = value }
        }
        return fields
    }

    static func decode(_ part: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        var i = part.startIndex
        while i < part.endIndex {
            let b = part[i]
            if b == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"), i + 2 < part.endIndex, let h = JSONEscapes.hexDigit(part[i + 1]), let l = JSONEscapes.hexDigit(part[i + 2]) {
                out.append(h << 4 | l)
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// What every reader of a `/connect/token` call shares (the route and the throttle).
enum TokenCall {
    /// A token call's body over ``maximumBodyBytes``, in the OAuth shape every token error has.
    static var bodyTooLarge: OAuthError { OAuthError(.invalidRequest, "The request body is larger than \(maximumBodyBytes) bytes.") }

    /// Client ids FAQ anti-pattern 7 names as blocked (with a missing one).
    static var placeholderClientIDs: Set<String> { ["", "0", "YOUR_CLIENT_ID"] }

    static var maximumBodyBytes: Int { 64 * 1024 }

    /// The form fields of a token call, with `client_id`/`client_secret` taken from Basic
    /// authorization when the form lacks them (RFC 6749 §2.3.1).
    static func fields(body: ByteBuffer, headers: HTTPFields) -> [String: String] {
        var fields = FormBody.parse(Array(buffer: body))
        if let authorization = headers[.authorization], authorization.lowercased().hasPrefix("basic "),
           let decoded = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
           let pair = String(data: decoded, encoding: .utf8), let colon = pair.firstIndex(of: ":") {
            fields["client_id"] = fields["client_id"] ?? FormBody.decode(ArraySlice(pair[..<colon].utf8))
            fields["client_secret"] = fields["client_secret"] ?? FormBody.decode(ArraySlice(pair[pair.index(after: colon)...].utf8))
        }
        return fields
    }
}

struct IdentityRoutes<Store: RegistryStore> {
    let service: IdentityService<Store>

    func register(on router: Router<EisalRequestContext>) {
        router.post("connect/token") { request, context -> Response in
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: TokenCall.maximumBodyBytes)
            } catch is NIOTooManyBytesError {
                throw TokenCall.bodyTooLarge
            }
            let fields = TokenCall.fields(body: body, headers: request.headers)
            func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { request.headers[$0] } }
            let tokenRequest = TokenRequest(
                grantType: fields["grant_type"], clientID: fields["client_id"], clientSecret: fields["client_secret"], scope: fields["scope"],
                onBehalfOf: header("onbehalfof"), posSerial: header("posserial"), posOSVersion: header("pososversion"),
                posModelFramework: header("posmodelframework"), presharedKey: header("presharedkey")
            )
            let token = try await service.token(for: tokenRequest)
            return try Response.json(token, headers: [.cacheControl: "no-store"])
        }
    }
}
