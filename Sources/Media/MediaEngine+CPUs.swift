import Foundation
import NIOCore

extension MediaEngine {
    /// The CPUs this process may run on: NIO's count (the machine's cores, or a cgroup's cpuset
    /// or quota), narrowed by the scheduler affinity mask (`taskset`, systemd `CPUAffinity=`),
    /// which NIO does not read. Media event loops beyond it would only take turns on the same
    /// CPU, each packet waiting for its loop's turn.
    public static var usableCPUs: Int {
        var count = System.coreCount
        if let status = try? String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8),
            let allowed = allowedCPUs(status: status), allowed > 0
        {
            count = min(count, allowed)
        }
        return max(1, count)
    }

    /// The CPUs of the `Cpus_allowed:` mask (hexadecimal words separated by commas) of a
    /// `/proc/…/status` text; nil when it has none or it is unreadable.
    static func allowedCPUs(status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) else {
            return nil
        }
        let mask = line.dropFirst("Cpus_allowed:".count).trimmingCharacters(in: .whitespaces)
        var count = 0
        for word in mask.split(separator: ",") {
            guard let bits = UInt64(word, radix: 16) else { return nil }
            count += bits.nonzeroBitCount
        }
        return count
    }
}
