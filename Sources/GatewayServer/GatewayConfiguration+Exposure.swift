/// Listeners in clear text beyond this machine. Without `tlsCertificateFile`, HTTP and the
/// signaling WebSocket travel in clear text, and SIP on `sipPort` (UDP and TCP) always does: API
/// keys, tokens, SIP digests and SDP (with the media keys or their fingerprints) could be read or
/// changed by anyone on the path.
extension GatewayConfiguration {
    /// Why this configuration would serve in clear text beyond loopback, or nil when it does not.
    public var clearTextExposure: ConfigurationError? {
        if tlsCertificateFile == nil, !Self.isLoopback(bindAddress) {
            return ConfigurationError(
                key: "bindAddress",
                message:
                    "\(bindAddress) would serve REST and signaling in clear text beyond this machine, where API keys "
                    + "and tokens can be read on the network. Set tlsCertificateFile and tlsKeyFile, listen on "
                    + "127.0.0.1 behind a proxy that terminates TLS, or set allowClearText (GATEWAY_ALLOW_CLEAR_TEXT=true) to accept the risk"
            )
        }
        if sipPort != 0, !Self.isLoopback(sipAddress) {
            return ConfigurationError(
                key: "sipAddress",
                message:
                    "\(sipAddress) would take SIP in clear text beyond this machine. Reach trunks over a private "
                    + "network and set allowClearText (GATEWAY_ALLOW_CLEAR_TEXT=true), or take SIP over TLS only "
                    + "(sipTLSPort, with sipPort 0)")
        }
        return nil
    }

    /// Why this configuration would put the demo data within the network's reach, or nil: its
    /// supervisor and agents come with printed sign-in links and an API key, known accounts that
    /// have no place on a gateway others can reach. No override: set `seedDemoData` false.
    public var demoDataExposure: ConfigurationError? {
        guard seedDemoData, !Self.isLoopback(bindAddress) else { return nil }
        return ConfigurationError(
            key: "seedDemoData",
            message:
                "the demo data (a supervisor and agents with printed sign-in links, an API key) would be reachable "
                + "from \(bindAddress): set seedDemoData false (GATEWAY_SEED_DEMO_DATA=false) on a gateway beyond loopback"
        )
    }

    /// 127.0.0.0/8, ::1 and localhost.
    static func isLoopback(_ address: String) -> Bool {
        let host = address.hasPrefix("[") && address.hasSuffix("]") ? String(address.dropFirst().dropLast()) : address
        if host.lowercased() == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
