import ArgumentParser
import Crypto
import EisalCore
import EisalKit
import Foundation

/// Where and as whom the taxpayer commands connect: flags > `EISAL_*` environment > a profile
/// file (`--profile FILE` or `EISAL_PROFILE`: a JSON object with any of `base`, `identity`,
/// `clientId`, `clientSecret`, `posSerial`, `posOSVersion`, `presharedKey`, `ca`) > defaults.
struct ClientOptions: ParsableArguments {
    @Option(help: "API base URL (EISAL_API_BASE; default http://127.0.0.1:8080).") var base: String?
    @Option(help: "Identity base URL, when it differs (EISAL_IDENTITY_BASE).") var identity: String?
    @Option(name: .customLong("client-id"), help: "Client id (EISAL_CLIENT_ID).") var clientID: String?
    @Option(name: .customLong("client-secret"), help: "Client secret (EISAL_CLIENT_SECRET).") var clientSecret: String?
    @Option(name: .customLong("pos-serial"), help: "POS logins: the posserial header (EISAL_POS_SERIAL).") var posSerial: String?
    @Option(name: .customLong("pos-os-version"), help: "POS logins: pososversion (EISAL_POS_OS_VERSION).") var posOSVersion: String?
    @Option(name: .customLong("preshared-key"), help: "POS logins: presharedkey (EISAL_PRESHARED_KEY).") var presharedKey: String?
    @Option(name: .customLong("ca"), help: "An extra trust root (PEM), e.g. eisal-data/tls/ca.pem (EISAL_CA).") var trustRoot: String?
    @Option(help: "A profile file (JSON) with defaults for the options above (EISAL_PROFILE).") var profile: String?
    @Option(help: "Where the access token is kept between runs, so each run does not log in again (EISAL_TOKEN_CACHE; default a file per client in the temporary folder; `none` keeps nothing).")
    var tokenCache: String?

    /// The settings, resolved.
    struct Resolved {
        var base: String, identity: String?, clientID: String, clientSecret: String
        var posSerial: String?, posOSVersion: String?, presharedKey: String?, trustRoot: String?
    }

    func resolved() throws -> Resolved {
        let environment = ProcessInfo.processInfo.environment
        var file: JSONNode?
        if let path = profile ?? environment["EISAL_PROFILE"] {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read the profile \(path)") }
            file = try JSONParser().parse(Array(data)).root
        }
        func pick(_ flag: String?, _ variable: String, _ key: String) -> String? { flag ?? environment[variable] ?? file?[key]?.string }
        let resolved = Resolved(
            base: pick(base, "EISAL_API_BASE", "base") ?? "http://127.0.0.1:8080", identity: pick(identity, "EISAL_IDENTITY_BASE", "identity"),
            clientID: pick(clientID, "EISAL_CLIENT_ID", "clientId") ?? "", clientSecret: pick(clientSecret, "EISAL_CLIENT_SECRET", "clientSecret") ?? "",
            posSerial: pick(posSerial, "EISAL_POS_SERIAL", "posSerial"), posOSVersion: pick(posOSVersion, "EISAL_POS_OS_VERSION", "posOSVersion"),
            presharedKey: pick(presharedKey, "EISAL_PRESHARED_KEY", "presharedKey"), trustRoot: pick(trustRoot, "EISAL_CA", "ca"))
        guard !resolved.clientID.isEmpty, !resolved.clientSecret.isEmpty else {
            throw ValidationError("give --client-id and --client-secret (or EISAL_CLIENT_ID and EISAL_CLIENT_SECRET, or a --profile file)")
        }
        return resolved
    }

    func client() throws -> EisalClient {
        let r = try resolved()
        return EisalClient(configuration: .init(apiBaseURL: r.base, identityBaseURL: r.identity, clientID: r.clientID, clientSecret: r.clientSecret,
                                                posSerial: r.posSerial, posOSVersion: r.posOSVersion, presharedKey: r.presharedKey, extraTrustRootPEMFile: r.trustRoot))
    }

    /// Whose token a cache file holds: the hosts, the client id, the secret and the POS serial
    /// (hashed), so other credentials never reuse a token, whatever file they name.
    func tokenKey(_ r: Resolved) -> String {
        SHA256.hash(data: Data("\(r.identity ?? r.base)|\(r.base)|\(r.clientID)|\(r.clientSecret)|\(r.posSerial ?? "")".utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The token cache file, or nil when turned off.
    func tokenCachePath(_ r: Resolved) -> String? {
        let configured = tokenCache ?? ProcessInfo.processInfo.environment["EISAL_TOKEN_CACHE"]
        if configured == "none" { return nil }
        if let configured { return configured }
        return NSTemporaryDirectory() + "eisal-token-\(tokenKey(r).prefix(16)).json"
    }

    /// Runs `body` with a client (its token kept between runs), closing it afterwards; a refusal
    /// by the platform exits 1, no usable answer exits 2.
    func with(_ body: (EisalClient) async throws -> Void) async throws {
        let client = try client()
        let resolved = try resolved()
        let cache = tokenCachePath(resolved), key = tokenKey(resolved)
        if let cache, let data = FileManager.default.contents(atPath: cache), let root = try? JSONParser().parse(Array(data)).root,
           root["key"]?.string == key, let token = root["token"]?.string, let renewAt = Double(root["renewAt"]?.numberLexeme ?? "") {
            await client.seedToken(token, renewAt: renewAt)
        }
        /// Keeps the token for the next run (also after a refused request: the login was good).
        func keep() async {
            guard let cache, let (token, renewAt) = await client.cachedToken() else { return }
            let text = JSONWriter().bytes(.object([("key", .string(key)), ("token", .string(token)), ("renewAt", .number(String(Int64(renewAt))))]))
            try? PrivateFile.write(text, to: cache)
        }
        do {
            try await body(client)
            await keep()
        } catch let error as EisalClientError {
            await keep()
            try? await client.shutdown()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(error.isRequestError ? 1 : 2)
        } catch let error as SubmitterError {
            await keep()
            try? await client.shutdown()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(error.underlying.isRequestError ? 1 : 2)
        } catch let error as PollerError {
            await keep()
            try? await client.shutdown()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        } catch {
            await keep()
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }
}

extension EisalClientError {
    /// A refusal the platform answered (an error status, a refused login: exit 1), rather than no
    /// usable answer (exit 2).
    var isRequestError: Bool {
        switch self {
        case .http, .login: true
        case .transport, .unexpectedBody: false
        }
    }
}
