import ArgumentParser
import Configuration
import EisalPlatform
import EisalStore
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus

/// Options shared by commands that open the platform's database.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "SQLite file, or a PostgreSQL URL postgres://user:password@host:port/db (env EISAL_DATABASE).") var database: String?

    var path: String { database ?? ProcessInfo.processInfo.environment["EISAL_DATABASE"] ?? "./eisal-data/eisal.sqlite" }

    /// The store named: the SQLite file, or the PostgreSQL URL (local files in EISAL_DATA, ./eisal-data by default).
    func store() throws -> StoreConfiguration {
        do {
            return try StoreConfiguration.parse(path, dataDirectory: ProcessInfo.processInfo.environment["EISAL_DATA"] ?? "./eisal-data")
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

/// `eisal serve`: runs the platform. Settings: flags > EISAL_* environment > `--config FILE` > defaults
/// (swift-configuration; every key in docs/platform.md "Configuration").
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the platform (identity, receipt intake, processing, query).",
        discussion: "Settings come from flags, then EISAL_* environment variables (key a.b is EISAL_A_B), then a JSON file given with --config, then defaults. Keys:\n"
            + PlatformConfiguration.keys.map { "  \($0.key): \($0.meaning)" }.joined(separator: "\n")
    )

    @Option(help: "A JSON file of settings (keys as listed below; nested objects or dotted names).") var config: String?
    @Option(help: "Address to listen on (host).") var host: String?
    @Option(help: "Port to listen on, 0 picks a free one (port).") var port: Int?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (log.level).") var logLevel: String?
    @OptionGroup var database: DatabaseOptions
    @Option(help: "With a PostgreSQL --database: this node's folder for local files (data; default ./eisal-data).") var data: String?
    @Option(help: "With a PostgreSQL --database: the most connections this node opens (database.pool; 16).") var databasePool: Int?
    @Option(help: "Durability of commits: full (fsync each commit) or normal (durability).") var durability: String?
    @Option(help: "Processing workers (workers).") var workers: Int?
    @Option(help: "Job lease in seconds, renewed while a job runs (job.lease).") var jobLease: Int?
    @Option(help: "This node's id for job leases; default: {host}-{n} from a lock file beside the database (node.id).") var nodeId: String?
    @Option(help: "Artificial delay per receipt in full validation, ms (fault tests; processing.delay.ms).") var processingDelayMs: Int?
    @Option(help: "Submission window in hours, 0 = off (submission.window.hours).") var submissionWindowHours: Int?
    @Option(help: ArgumentHelp("Throttling: off, or changes to the standard limits as api=N/W,… e.g. getRecentReceipts=12/1m,token=off (rate.limits).",
                               discussion: "APIs: \(ThrottledAPI.allCases.map(\.rawValue).joined(separator: ", ")). Standard: \(RateLimits.standard.summary)."))
    var rateLimits: String?
    @Option(help: "POS login headers: lenient (posserial required; pososversion, posmodelframework, presharedkey recorded, not compared) or strict (all four required and compared) (pos.login).")
    var posLogin: String?
    @Option(help: "HTTPS: the server certificate chain, PEM (tls.cert; with --tls-key).") var tlsCert: String?
    @Option(help: "HTTPS: the server private key, PEM (tls.key).") var tlsKey: String?
    @Flag(help: "HTTPS with a certificate from the sandbox CA, created in {data}/tls/ on first use; trust {data}/tls/ca.pem in the client (tls.self.signed).")
    var tlsSelfSigned = false
    @Option(help: "A host name (or IP) for the --tls-self-signed certificate; repeat for more (tls.hosts). Default: localhost, 127.0.0.1, ::1 and ETA's pre-production hosts.")
    var tlsHost: [String] = []
    @Option(help: "sandbox (default: http callbacks to loopback and private hosts allowed) or production (https only, certificates verified, no loopback/private/link-local/metadata hosts) (mode).")
    var mode: String?
    @Option(help: "A PEM file of extra CA certificates trusted for callbacks, beside the system's (callback.ca).") var callbackCa: String?
    @Option(help: "A CA certificate (PEM file or folder) trusted for document signatures; repeat for more (signature.ca).") var signatureCa: [String] = []
    @Option(help: "Create and trust the sandbox signing CA in {data}/signing with a seal per demo taxpayer: true or false (signature.sandbox.ca; default true in sandbox mode).")
    var signatureSandboxCa: Bool?
    @Option(help: "Admin API key (admin.key; generated once when absent).") var adminKey: String?
    @Flag(help: "Do not create the demo taxpayer, ERP client and POS (demo=false).") var noDemo = false
    @Flag(help: "Report mixed submissions as PartiallyValid instead of Invalid (partially.valid).") var partiallyValid = false

    /// The flags that were given, as configuration values (the highest-priority provider).
    var flags: [AbsoluteConfigKey: ConfigValue] {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        func set(_ key: String, _ content: ConfigContent?) { if let content { values[AbsoluteConfigKey(ConfigKey(key))] = ConfigValue(content, isSecret: key == "admin.key" || key == "database") } }
        set("host", host.map { .string($0) })
        set("port", port.map { .int($0) })
        set("log.level", logLevel.map { .string($0) })
        set("database", database.database.map { .string($0) })
        set("durability", durability.map { .string($0) })
        set("data", data.map { .string($0) })
        set("database.pool", databasePool.map { .int($0) })
        set("workers", workers.map { .int($0) })
        set("job.lease", jobLease.map { .int($0) })
        set("node.id", nodeId.map { .string($0) })
        set("processing.delay.ms", processingDelayMs.map { .int($0) })
        set("submission.window.hours", submissionWindowHours.map { .int($0) })
        set("rate.limits", rateLimits.map { .string($0) })
        set("pos.login", posLogin.map { .string($0) })
        set("tls.cert", tlsCert.map { .string($0) })
        set("tls.key", tlsKey.map { .string($0) })
        set("tls.self.signed", tlsSelfSigned ? .bool(true) : nil)
        set("tls.hosts", tlsHost.isEmpty ? nil : .stringArray(tlsHost))
        set("mode", mode.map { .string($0) })
        set("callback.ca", callbackCa.map { .string($0) })
        set("signature.ca", signatureCa.isEmpty ? nil : .stringArray(signatureCa))
        set("signature.sandbox.ca", signatureSandboxCa.map { .bool($0) })
        set("admin.key", adminKey.map { .string($0) })
        set("demo", noDemo ? .bool(false) : nil)
        set("partially.valid", partiallyValid ? .bool(true) : nil)
        return values
    }

    func run() async throws {
        var providers: [any ConfigProvider] = [InMemoryProvider(name: "flags", values: flags), EnvironmentVariablesProvider().prefixKeys(with: "eisal")]
        if let config { providers.append(try await FileProvider<JSONSnapshot>(filePath: .init(config))) }
        let reader = ConfigReader(providers: providers)
        var c: PlatformConfiguration
        do { c = try PlatformConfiguration(reader: reader) } catch let error as ConfigurationError { throw ValidationError(error.description) }
        if c.tls == nil, reader.bool(forKey: "tls.self.signed", default: false) {
            let hosts = reader.stringArray(forKey: "tls.hosts") ?? SandboxCertificateAuthority.defaultHosts
            c.tls = try SandboxCertificateAuthority(directory: c.store.dataDirectory + "/tls").serverSettings(hosts: hosts)
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let configuration = c
        let scheme = configuration.tls == nil ? "http" : "https"
        try await withPlatform(configuration: configuration, metrics: registry, onServerRunning: { port in
            Serve.printBanner(scheme: scheme, host: configuration.host, port: port)
        }) { app, startup in
            Serve.printStartup(startup, host: configuration.host, port: configuration.port)
            try await app.runService()
        }
    }

    static func printBanner(scheme: String, host: String, port: Int) {
        say("eisal: listening on \(scheme)://\(host):\(port)")
    }
    static func printStartup(_ startup: PlatformStartup, host: String, port: Int) {
        let base = "\(startup.scheme)://\(host):\(port == 0 ? 8080 : port)"
        let curl = "curl -s" + (startup.tlsTrustAnchor.map { " --cacert \($0)" } ?? "")
        var lines = ["eisal: database \(startup.storeDescription)", "eisal: admin API key (X-Admin-Key): \(startup.adminKey)"]
        if let anchor = startup.tlsTrustAnchor {
            lines.append("eisal: HTTPS with a certificate from the sandbox CA: trust \(anchor) in your client (curl --cacert \(anchor); see docs/platform.md \"HTTPS\")")
        }
        if let authority = startup.signingAuthority {
            lines.append("eisal: document signatures chain to the sandbox signing CA \(authority) (and any --signature-ca)")
        }
        for seal in startup.seals {
            lines += [
                "",
                "Demo seal of taxpayer \(seal.rin) (signs invoice documents):",
                "  certificate \(seal.certificatePath)  key \(seal.keyPath)",
                "  PKCS#12 \(seal.pkcs12Path) (passphrase \(seal.pkcs12Passphrase))",
                "  swift run eisal document example | swift run eisal document sign - --cert \(seal.certificatePath) --key \(seal.keyPath)",
            ]
        }
        for c in startup.demoCredentials {
            if let serial = c.posSerial {
                lines += [
                    "",
                    "Demo POS \(serial) of taxpayer \(c.taxpayerRIN):",
                    "  client_id=\(c.clientID)  client_secret=\(c.clientSecret)",
                    "  posserial=\(serial)  pososversion=\(c.posOSVersion ?? "")  posmodelframework=\(c.posModelFramework ?? "")  presharedkey=\(c.presharedKey ?? "")",
                    "  TOKEN=$(\(curl) \(base)/connect/token -H 'posserial: \(serial)' -H 'pososversion: \(c.posOSVersion ?? "")' -H 'presharedkey: \(c.presharedKey ?? "")' \\",
                    "          -d grant_type=client_credentials -d client_id=\(c.clientID) -d client_secret=\(c.clientSecret) | sed 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/')",
                    "  swift run eisal receipt example --submission | \(curl) \(base)/api/v1/receiptsubmissions -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' --data-binary @-",
                ]
            } else {
                lines += [
                    "",
                    "Demo ERP client of taxpayer \(c.taxpayerRIN):",
                    "  client_id=\(c.clientID)  client_secret=\(c.clientSecret)",
                    "  \(curl) \(base)/connect/token -d grant_type=client_credentials -d client_id=\(c.clientID) -d client_secret=\(c.clientSecret)",
                ]
            }
        }
        say(lines.joined(separator: "\n"))
    }
}

/// Writes a line to standard output unbuffered (start-up lines must appear at once when piped).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
