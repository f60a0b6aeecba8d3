import EisalPlatform
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Platform HTTP")
struct HealthTests {
    @Test func healthAnswersOnALiveServer() async throws {
        let app = buildApplication(configuration: PlatformConfiguration(host: "127.0.0.1", port: 0, logLevel: .error))
        try await app.test(.live) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"status\":\"Healthy\""))
            }
        }
    }
}
