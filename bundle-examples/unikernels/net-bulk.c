/*
 * net-bulk: one bulk UDP transfer on "service0", in one direction, every byte checked by the end that receives it.
 * Command line: [service0.ipv4=A.B.C.D/N] [service0.gateway=G] receive COUNT
 *            or [service0.ipv4=A.B.C.D/N] [service0.gateway=G] send COUNT SIZE
 * Without an address word, service0 is 10.0.0.2. Everything goes to and from the guest's UDP port 9.
 * - A data datagram's payload (at least 5 bytes): a 4-byte big-endian sequence number s, then byte i (from 4) equal
 *   to (s + i) & 0xff. Sequence numbers start at 0 and come in order (one TAP keeps the order; a gap is a loss).
 * - The receiver acknowledges with a 4-byte payload, the number of datagrams it has taken so far, after every
 *   ACK_EVERY of them and after the last; the sender keeps at most WINDOW unacknowledged.
 * receive: takes COUNT datagrams from whoever sends, checks every byte, acknowledges, prints
 *   "received COUNT datagrams (B bytes checked) in T ns" and SUCCESS, exits 0.
 * send: waits for a 4-byte datagram from its peer (the peer's "go", resent until data flows), sends COUNT datagrams
 *   of SIZE bytes to the peer's address and port, prints "sent COUNT datagrams (B bytes), all acknowledged, in T ns"
 *   and SUCCESS, exits 0.
 * A datagram out of order, a byte that is not what was sent, or a transfer silent for STALL_NS ends it with an abort.
 * It answers ARP for its address, says whether its frames go through Solo5's network ring or the hypercalls, and
 * prints "ready" when it listens.
 */
#include "runtime.h"
#include "notes.h"
#include "net-frames.h"

RUNCC_ABI_NOTE();
RUNCC_MANIFEST_NOTE(2, { .version = MFT_VERSION, .entries = 2,
                         .e = { MFT_RESERVED_ENTRY, { .name = "service0", .type = MFT_NET_BASIC } } });

#define BULK_PORT 9
#define ACK_EVERY 16
#define WINDOW 64
#define STALL_NS 30000000000ull
#define FRAME_MAX 65536
#define HEADERS (ETH_HLEN + IPV4_HLEN + UDP_HLEN)

static struct iface ifc = { .name = "service0", .ip = { 10, 0, 0, 2 } };
static uint8_t frame[FRAME_MAX];
static uint8_t out[FRAME_MAX];

/* The peer: learned from the first datagram it sends (its MAC, address and port). */
static struct {
    int known;
    uint8_t mac[6];
    uint8_t ip[4];
    uint16_t port;
} peer;

static enum { RECEIVE, SEND } mode;
static uint64_t count, size;
/* receive: datagrams taken (the next sequence number); send: datagrams sent, and acknowledged. */
static uint64_t taken, sent, acked;
static uint64_t first_ns, last_progress_ns;

static void parse_cmdline(const char *cmdline)
{
    const char *words[3];
    int n = 0;
    for (const char *p = cmdline; *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (!apply_address_word(&ifc, 1, p) && !starts_with(p, "service0.") && n < 3)
            words[n++] = p;
        while (*p && *p != ' ')
            p++;
    }
    if (n >= 2 && starts_with(words[0], "receive ")) {
        mode = RECEIVE;
        count = parse_u64(words[1], 0);
    } else if (n == 3 && starts_with(words[0], "send ")) {
        mode = SEND;
        count = parse_u64(words[1], 0);
        size = parse_u64(words[2], 0);
        if (size < 5 || size > 1472)
            runtime_abort("send: SIZE must be 5 to 1472 bytes");
    } else {
        runtime_abort("usage: receive COUNT | send COUNT SIZE");
    }
    if (count == 0 || count > 0xffffffffull)
        runtime_abort("COUNT must be 1 to 4294967295");
}

/* Builds Ethernet, IPv4 and UDP headers to the peer around a payload of `len` bytes at out + HEADERS; sends it. */
static void send_udp(size_t len)
{
    static uint16_t ip_id;
    memcpy(out, peer.mac, 6);
    memcpy(out + 6, ifc.mac, 6);
    put16(out + 12, ETHERTYPE_IPV4);
    uint8_t *ip = out + ETH_HLEN;
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, (uint16_t)(IPV4_HLEN + UDP_HLEN + len));
    put16(ip + 4, ip_id++);
    put16(ip + 6, 0x4000); /* don't fragment */
    ip[8] = 64;
    ip[9] = IPPROTO_UDP;
    put16(ip + 10, 0);
    memcpy(ip + 12, ifc.ip, 4);
    memcpy(ip + 16, peer.ip, 4);
    put16(ip + 10, inet_checksum(ip, IPV4_HLEN));
    uint8_t *udp = ip + IPV4_HLEN;
    put16(udp, BULK_PORT);
    put16(udp + 2, peer.port);
    put16(udp + 4, (uint16_t)(UDP_HLEN + len));
    put16(udp + 6, 0); /* no UDP checksum, as IPv4 allows */
    send_frame(&ifc, out, HEADERS + len);
}

static void send_ack(void)
{
    put32(out + HEADERS, (uint32_t)taken);
    send_udp(4);
}

static void send_data(void)
{
    uint8_t *payload = out + HEADERS;
    uint32_t seq = (uint32_t)sent;
    put32(payload, seq);
    for (size_t i = 4; i < size; i++)
        payload[i] = (uint8_t)(seq + i);
    send_udp(size);
    sent++;
}

/* A datagram to port 9 with its payload: data (receive), the go or an acknowledgement (send). */
static void handle_datagram(const uint8_t *f, const uint8_t *ip, const uint8_t *udp, const uint8_t *payload, size_t n)
{
    if (!peer.known) {
        memcpy(peer.mac, f + 6, 6);
        memcpy(peer.ip, ip + 12, 4);
        peer.port = get16(udp);
        peer.known = 1;
    } else if (memcmp(peer.ip, ip + 12, 4) != 0 || peer.port != get16(udp)) {
        return; /* another sender: not part of this transfer */
    }
    uint64_t now = walltime_ns();
    if (mode == SEND) {
        if (n != 4)
            runtime_abort("send: the peer sent a datagram that is not a 4-byte go or acknowledgement");
        uint32_t value = get32(payload);
        if (sent > 0 && value > acked) {
            if (value > sent)
                runtime_abort("send: the peer acknowledged more datagrams than were sent");
            acked = value;
            last_progress_ns = now;
        }
        return;
    }
    if (n < 5)
        runtime_abort("receive: a datagram shorter than its 4-byte sequence number and one byte");
    if (taken >= count)
        return; /* a late duplicate after the end */
    uint32_t seq = get32(payload);
    if (seq != (uint32_t)taken)
        runtime_abort("receive: a datagram out of order (one was lost)");
    for (size_t i = 4; i < n; i++)
        if (payload[i] != (uint8_t)(seq + i))
            runtime_abort("receive: a datagram's payload is not what was sent");
    if (taken == 0)
        first_ns = now;
    taken++;
    size += n;
    last_progress_ns = now;
    if (taken % ACK_EVERY == 0 || taken == count)
        send_ack();
}

static void handle_frame(const uint8_t *f, size_t len)
{
    uint16_t type = get16(f + 12);
    if (type == ETHERTYPE_ARP) {
        handle_arp(&ifc, f, len);
        return;
    }
    const uint8_t *ip = f + ETH_HLEN;
    if (type != ETHERTYPE_IPV4 || len < ETH_HLEN + IPV4_HLEN || ip[0] != 0x45 || ip[9] != IPPROTO_UDP ||
        memcmp(ip + 16, ifc.ip, 4) != 0)
        return;
    size_t total = get16(ip + 2);
    if (total < IPV4_HLEN + UDP_HLEN || ETH_HLEN + total > len || (get16(ip + 6) & 0x3fff) != 0)
        return; /* short, or a fragment: the sizes here never need fragments */
    const uint8_t *udp = ip + IPV4_HLEN;
    size_t udp_len = get16(udp + 4);
    if (get16(udp + 2) != BULK_PORT || udp_len < UDP_HLEN || udp_len > total - IPV4_HLEN)
        return;
    handle_datagram(f, ip, udp, udp + UDP_HLEN, udp_len - UDP_HLEN);
}

/* Takes every frame waiting on the interface. */
static void drain(void)
{
    for (;;) {
        size_t len = 0;
        int r = net_read(ifc.handle, frame, sizeof frame, &len);
        if (r == SOLO5_R_AGAIN)
            return;
        if (r != SOLO5_R_OK)
            runtime_abort("NET_READ failed");
        if (len >= ETH_HLEN)
            handle_frame(frame, len);
    }
}

static void wait_for_frames(uint64_t timeout_ns)
{
    uint64_t ready_set = 0;
    if (poll_ns(timeout_ns, &ready_set) > 0 && (ready_set & (1ull << ifc.handle)))
        drain();
}

static void check_stall(const char *what)
{
    if (walltime_ns() - last_progress_ns > STALL_NS)
        runtime_abort(what);
}

static void report(const char *verb, uint64_t datagrams, uint64_t bytes, const char *what, uint64_t ns)
{
    print(verb);
    print(" ");
    print_u64(datagrams);
    print(" datagrams (");
    print_u64(bytes);
    print(what);
    print(" in ");
    print_u64(ns);
    print(" ns\nSUCCESS\n");
}

int app_main(const char *cmdline)
{
    parse_cmdline(cmdline);
    iface_open(&ifc);
    announce(&ifc);
    print(net_ring() ? "network I/O: ring\n" : "network I/O: hypercalls\n");
    print("ready\n");

    if (mode == RECEIVE) {
        size = 0; /* from here: the bytes checked */
        while (taken == 0)
            wait_for_frames(1000000000ull);
        while (taken < count) {
            wait_for_frames(1000000000ull);
            check_stall("receive: the transfer stalled (no datagram for 30 s)");
        }
        report("received", taken, size, " bytes checked)", last_progress_ns - first_ns);
        return 0;
    }

    while (!peer.known)
        wait_for_frames(1000000000ull);
    first_ns = last_progress_ns = walltime_ns();
    while (acked < count) {
        while (sent < count && sent - acked < WINDOW)
            send_data();
        drain();
        if (sent - acked >= WINDOW || sent == count) {
            wait_for_frames(100000000ull);
            check_stall("send: the peer stopped acknowledging (nothing for 30 s)");
        }
    }
    report("sent", sent, sent * size, " bytes), all acknowledged,", walltime_ns() - first_ns);
    return 0;
}
