// HTTPS for `eisal serve`. Every real ETA client is configured with `https://` base URLs
// (spec/identity.md "Hosts"), so Eisal serves TLS itself: with the operator's certificate and key
// (`--tls-cert`, `--tls-key`), or, in the sandbox, with a certificate issued by a local CA that
// Eisal creates on first use (`--tls-self-signed`), whose certificate the integrator trusts once.

import Foundation
import NIOSSL

/// Where the server's certificate chain and private key are (PEM files).
public struct TLSSettings: Sendable, Hashable {
    /// The server certificate, followed by any intermediates (PEM).
    public var certificateChainPath: String
    /// The private key of the first certificate (PEM).
    public var privateKeyPath: String
    /// The CA certificate clients must trust, when Eisal issued the certificate (printed at start).
    public var trustAnchorPath: String?

    public init(certificateChainPath: String, privateKeyPath: String, trustAnchorPath: String? = nil) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
        self.trustAnchorPath = trustAnchorPath
    }

    /// swift-nio-ssl's server configuration for these files.
    func serverConfiguration() throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateChainPath)
            key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
        } catch {
            throw TLSSettingsError(message: "cannot load the TLS certificate '\(certificateChainPath)' and key '\(privateKeyPath)': \(error)")
        }
        guard !chain.isEmpty else { throw TLSSettingsError(message: "'\(certificateChainPath)' holds no PEM certificate") }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }
}

/// Why TLS could not be set up.
public struct TLSSettingsError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
