import ContactCenter
import Foundation
import SIP
import SIPDigest
import SIPMessage

/// Trunk upkeep: REGISTER and OPTIONS keepalive follow the stored trunks. Runs on the
/// transport's event loop, as the rest of the service's state does.
extension SIPTrunkService {
    func scheduleUpkeep() {
        report { [self] _ in
            guard let trunks = try? await contactCenter.sipTrunks() else { return }
            // Names are looked up here, off the event loop; upkeep and admission read the cache.
            for host in trunks.flatMap({ $0.destinationHosts.compactMap { SIPHostPort.parse($0)?.host } }) {
                _ = await hosts.resolve(host)
            }
            transport.eventLoop.execute { [self] in upkeep(trunks) }
        }
    }

    func upkeep(_ trunks: [SIPTrunk]) {
        guard let agent else { return }
        let now = Self.now()
        var outputs: [SIPOutput] = []
        var wantedRegistrations: Set<String> = []
        var wantedKeepalives: [String: SIPAddress] = [:]
        for trunk in trunks {
            guard let first = trunk.destinationHosts.first,
                let (host, port) = SIPHostPort.parse(first, defaultPort: trunk.transport.defaultPort),
                let ip = hosts.cached(host)
            else { continue }
            let address = trunkAddress(trunk, host: host, ip: ip, port: port)
            if trunk.type == .REGISTERED, let credentials = trunk.outboundCredentials {
                wantedRegistrations.insert(trunk.id)
                let signature = "\(address)|\(credentials.username)|\(trunk.registrationExpiresSeconds)"
                if registrationSignatures[trunk.id] != signature, let registrar = SIPURI("sip:\(host):\(port)"),
                    let aor = NameAddress("<sip:\(credentials.username)@\(host)>")
                {
                    registrationSignatures[trunk.id] = signature
                    outputs += agent.register(
                        id: trunk.id, registrar: registrar, aor: aor, destination: address,
                        credentials: DigestCredentials(username: credentials.username, password: credentials.password),
                        expires: trunk.registrationExpiresSeconds, now: now)
                }
            }
            if trunk.sipOptions.enabled {
                wantedKeepalives[trunk.id] = address
                if keepalives[trunk.id] != address || keepaliveIntervals[trunk.id] != trunk.sipOptions.intervalSeconds {
                    if let old = keepalives[trunk.id], old != address { agent.stopKeepalive(destination: old) }
                    keepalives[trunk.id] = address
                    keepaliveIntervals[trunk.id] = trunk.sipOptions.intervalSeconds
                    outputs += agent.keepalive(
                        destination: address, interval: Double(trunk.sipOptions.intervalSeconds), now: now)
                }
            }
        }
        for id in Array(registrationSignatures.keys) where !wantedRegistrations.contains(id) {
            registrationSignatures.removeValue(forKey: id)
            registrations.removeValue(forKey: id)
            outputs += agent.unregister(id: id, now: now)
        }
        for (id, address) in keepalives where wantedKeepalives[id] == nil {
            agent.stopKeepalive(destination: address)
            keepalives.removeValue(forKey: id)
            keepaliveIntervals.removeValue(forKey: id)
        }
        apply(outputs)
    }
}
