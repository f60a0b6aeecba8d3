import EisalCore
import EisalKit
import EisalPlatform
import Foundation
import Synchronization

/// Seal certificates for the tests' taxpayers, from one sandbox signing CA per test process;
/// every `Harness` platform trusts that CA, so documents signed here verify there.
enum TestSeals {
    private static let state = Mutex<[String: DocumentSigner]>([:])
    static let authority = SandboxSigningAuthority(directory: NSTemporaryDirectory() + "eisal-test-seals-\(getpid())")

    /// The CA certificate to trust (created on first use).
    static var caPath: String {
        state.withLock { _ in _ = try! authority.authority() }
        return authority.caCertificatePath
    }

    /// The signer of `rin`'s seal.
    static func signer(rin: String) throws -> DocumentSigner {
        try state.withLock { signers in
            if let known = signers[rin] { return known }
            let seal = try authority.seal(rin: rin, name: "Test Taxpayer \(rin)")
            let signer = try DocumentSigner(certificatePEM: try String(contentsOfFile: seal.certificatePath, encoding: .utf8), keyPEM: try String(contentsOfFile: seal.keyPath, encoding: .utf8))
            signers[rin] = signer
            return signer
        }
    }

    /// `document` (JSON text) signed with its issuer's seal.
    static func sign(_ document: String) -> String {
        let rin = try! JSONParser().parse(Array(document.utf8)).root["issuer"]?["id"]?.string ?? ""
        return String(decoding: try! signer(rin: rin).sign(document: Array(document.utf8)), as: UTF8.self)
    }
}
