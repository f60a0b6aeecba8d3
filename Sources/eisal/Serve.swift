import ArgumentParser
import EisalPlatform
import EisalStore
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus

/// Options shared by commands that open the platform's database.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "SQLite file (env EISAL_DATABASE).") var database: String?

    var path: String { database ?? ProcessInfo.processInfo.environment["EISAL_DATABASE"] ?? "./eisal-data/eisal.sqlite" }
}

/// `eisal serve`: runs the platform. Settings: flags > environment (EISAL_*) > defaults.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the platform (identity, receipt intake, processing, query).")

    @Option(help: "Address to listen on (env EISAL_HOST).") var host: String?
    @Option(help: "Port to listen on, 0 picks a free one (env EISAL_PORT).") var port: Int?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env EISAL_LOG_LEVEL).") var logLevel: String?
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Durability of commits: full (fsync each commit) or normal (env EISAL_DURABILITY).") var durability: String?
    @Option(help: "Processing workers (env EISAL_WORKERS).") var workers: Int?
    @Option(help: "Job lease in seconds, renewed while a job runs (env EISAL_JOB_LEASE).") var jobLease: Int?
    @Option(help: "This node's id for job leases; default: {host}-{n} from a lock file beside the database (env EISAL_NODE_ID).") var nodeId: String?
    @Option(help: "Artificial delay per receipt in full validation, ms (fault tests; env EISAL_PROCESSING_DELAY_MS).") var processingDelayMs: Int?
    @Option(help: "Submission window in hours, 0 = off (env EISAL_SUBMISSION_WINDOW_HOURS).") var submissionWindowHours: Int?
    @Option(help: ArgumentHelp("Throttling: off, or changes to the standard limits as api=N/W,… e.g. getRecentReceipts=12/1m,token=off (env EISAL_RATE_LIMITS).",
                               discussion: "APIs: \(ThrottledAPI.allCases.map(\.rawValue).joined(separator: ", ")). Standard: \(RateLimits.standard.summary)."))
    var rateLimits: String?
    @Option(help: "POS login headers: lenient (posserial required; pososversion, posmodelframework, presharedkey recorded, not compared) or strict (all four required and compared) (env EISAL_POS_LOGIN).")
    var posLogin: String?
    @Option(help: "Admin API key (env EISAL_ADMIN_KEY; generated once when absent).") var adminKey: String?
    @Option(help: "HTTPS: the server certificate chain, PEM (env EISAL_TLS_CERT; with --tls-key).") var tlsCert: String?
    @Option(help: "HTTPS: the server private key, PEM (env EISAL_TLS_KEY).") var tlsKey: String?
    @Flag(help: "HTTPS with a certificate from the sandbox CA, created in {data}/tls/ on first use; trust {data}/tls/ca.pem in the client (env EISAL_TLS_SELF_SIGNED=1).")
    var tlsSelfSigned = false
    @Option(help: "A host name (or IP) for the --tls-self-signed certificate; repeat for more. Default: localhost, 127.0.0.1, ::1 and ETA's pre-production hosts.")
    var tlsHost: [String] = []
    @Flag(help: "Do not create the demo taxpayer, ERP client and POS.") var noDemo = false
    @Flag(help: "Report mixed submissions as PartiallyValid instead of Invalid.") var partiallyValid = false

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        var c = PlatformConfiguration()
        c.host = host ?? env["EISAL_HOST"] ?? c.host
        c.port = port ?? env["EISAL_PORT"].flatMap(Int.init) ?? c.port
        c.logLevel = (logLevel ?? env["EISAL_LOG_LEVEL"]).flatMap(Logger.Level.init(rawValue:)) ?? c.logLevel
        let durabilityText = durability ?? env["EISAL_DURABILITY"] ?? Durability.full.rawValue
        guard let chosenDurability = Durability(rawValue: durabilityText) else { throw ValidationError("--durability must be full or normal, not '\(durabilityText)'.") }
        c.store = .sqlite(path: database.path, durability: chosenDurability)
        c.processingWorkers = workers ?? env["EISAL_WORKERS"].flatMap(Int.init) ?? c.processingWorkers
        c.jobLeaseSeconds = Int64(jobLease ?? env["EISAL_JOB_LEASE"].flatMap(Int.init) ?? Int(c.jobLeaseSeconds))
        c.nodeID = nodeId ?? env["EISAL_NODE_ID"]
        c.processingDelayMilliseconds = processingDelayMs ?? env["EISAL_PROCESSING_DELAY_MS"].flatMap(Int.init) ?? 0
        if let hours = submissionWindowHours ?? env["EISAL_SUBMISSION_WINDOW_HOURS"].flatMap(Int.init) { c.submissionWindow = hours > 0 ? Int64(hours) * 3600 : nil }
        if let spec = rateLimits ?? env["EISAL_RATE_LIMITS"] {
            do { c.rateLimits = try RateLimits(parsing: spec) } catch { throw ValidationError(error.description) }
        }
        if let policy = posLogin ?? env["EISAL_POS_LOGIN"] {
            guard let parsed = POSLoginPolicy(rawValue: policy) else { throw ValidationError("--pos-login must be lenient or strict, not '\(policy)'.") }
            c.posLoginPolicy = parsed
        }
        c.adminKey = adminKey ?? env["EISAL_ADMIN_KEY"]
        c.seedDemoData = !noDemo
        if let cert = tlsCert ?? env["EISAL_TLS_CERT"] {
            guard let key = tlsKey ?? env["EISAL_TLS_KEY"] else { throw ValidationError("--tls-cert needs --tls-key.") }
            c.tls = TLSSettings(certificateChainPath: cert, privateKeyPath: key)
        } else if tlsSelfSigned || env["EISAL_TLS_SELF_SIGNED"] == "1" {
            let authority = SandboxCertificateAuthority(directory: c.store.dataDirectory + "/tls")
            c.tls = try authority.serverSettings(hosts: tlsHost.isEmpty ? SandboxCertificateAuthority.defaultHosts : tlsHost)
        } else if tlsKey != nil {
            throw ValidationError("--tls-key needs --tls-cert.")
        }
        c.emitPartiallyValid = partiallyValid
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let configuration = c
        let scheme = configuration.tls == nil ? "http" : "https"
        let (app, startup) = try await buildApplication(configuration: configuration, metrics: registry) { port in
            Serve.printBanner(scheme: scheme, host: configuration.host, port: port)
        }
        Serve.printStartup(startup, host: configuration.host, port: configuration.port)
        try await app.runService()
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
