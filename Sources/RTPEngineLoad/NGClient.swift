import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A client of rtpengine's `ng` control protocol: each request is `<cookie> <bencoded
/// dictionary>` in one UDP datagram, answered by a datagram with the same cookie. Blocking and
/// sequential: it sets calls up before the measured window, not during it.
final class NGClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let socket: Int32
    private var target = sockaddr_in()
    private var counter = 0
    private let prefix = String(UInt32.random(in: 0...UInt32.max), radix: 16)

    init(host: String, port: UInt16) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "no UDP socket: errno \(errno)") }
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &target.sin_addr) == 1 else {
            throw Failure(description: "\(host) is not an IPv4 address")
        }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(socket) }

    /// Sends `command` with `arguments`; returns the reply, which must say `result: ok`.
    /// Retries a lost request twice.
    func request(_ command: String, _ arguments: [String: Bencode]) throws -> Bencode {
        counter += 1
        let cookie = "\(prefix)_\(counter)"
        var message = arguments
        message["command"] = .text(command)
        let datagram = Array("\(cookie) ".utf8) + Bencode.dictionary(message).bytes
        var buffer = [UInt8](repeating: 0, count: 65536)
        for _ in 0..<3 {
            let sent = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(socket, datagram, datagram.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard sent == datagram.count else {
                throw Failure(description: "ng \(command): send failed, errno \(errno)")
            }
            while true {
                let count = recv(socket, &buffer, buffer.count, 0)
                guard count > 0 else { break }  // timed out: send again
                let reply = buffer[0..<count]
                guard let space = reply.firstIndex(of: UInt8(ascii: " ")),
                    String(decoding: reply[..<space], as: UTF8.self) == cookie
                else { continue }  // a late reply to an earlier attempt
                guard let value = Bencode.parse(reply[(space + 1)...]) else {
                    throw Failure(description: "ng \(command): unreadable reply")
                }
                guard value["result"]?.text == "ok" else {
                    let reason = value["error-reason"]?.text ?? value["result"]?.text ?? "?"
                    throw Failure(description: "ng \(command): \(reason)")
                }
                return value
            }
        }
        throw Failure(description: "ng \(command): no reply from rtpengine")
    }
}
