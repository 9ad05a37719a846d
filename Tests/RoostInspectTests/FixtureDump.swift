import Foundation
import Testing

/// Keeps a fixture team on disk for trying the tool by hand: `ROOST_INSPECT_KEEP=1 swift test --filter FixtureDump`.
@Suite struct FixtureDump {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ROOST_INSPECT_KEEP"] != nil))
    func keepFixtureTeam() throws {
        let team = try FixtureTeam()
        try team.writeAnaPeersFile()
        print("fixture team in \(team.root.path)")
    }
}
