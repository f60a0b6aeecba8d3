// Settings of document signature verification (issue 18, docs/platform.md "Document signatures").

/// Which certificates invoice documents' signatures must chain to.
public struct SignatureSettings: Sendable {
    /// PEM files, or folders of `.pem`/`.crt`/`.cer` files, of the CA certificates trusted for
    /// document signatures (`signature.ca`, comma-separated; `--signature-ca`, repeatable). To
    /// test with a real eSeal token, add its CA chain here (e.g. Egypt Trust's or MCDR's).
    public var trustAnchorPaths: [String] = []
    /// Whether the sandbox signing CA (`{data}/signing/ca.pem`) is created, trusted, and issues
    /// a seal certificate for each demo taxpayer. nil (the default) means: on in sandbox mode,
    /// off in production mode, which has no default anchor (`signature.sandbox.ca`).
    public var sandboxAuthority: Bool? = nil

    public init() {}
}
