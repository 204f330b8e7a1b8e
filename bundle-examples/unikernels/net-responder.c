/*
 * net-responder: answers ARP and ICMP echo requests on "service0" (and "service1" when built with TWO_INTERFACES).
 * Command line: [NAME.ipv4=A.B.C.D/N]... [NAME.gateway=A.B.C.D]... [LIMIT] -- the words runcc passes for a
 * container's network, then the number of echo requests after which it exits 0 (0 or none = never). Without an
 * address word, service0 is 10.0.0.2 and service1 is 10.1.0.2. Prints each interface's MAC, MTU and address, and
 * announces itself with a gratuitous ARP. Without a limit, it prints how many echo requests it has answered each
 * time that number changed and then a second passed without traffic: tests compare it with the pings they sent, to
 * prove the guest itself answered.
 * A word pattern=HEX (ping -p) makes it check every echo request's payload past ping's 16-byte timestamp against
 * that pattern (it aborts on a mismatch). UDP datagrams to port 7 are echoed after every payload byte is checked:
 * a 4-byte big-endian sequence number s, then byte i (from 4) equal to (s + i) & 0xff. It says whether its frames
 * go through Solo5's network ring or the hypercalls.
 */
#include "runtime.h"
#include "notes.h"
#include "net-frames.h"

RUNCC_ABI_NOTE();
#ifdef TWO_INTERFACES
#define INTERFACES 2
RUNCC_MANIFEST_NOTE(3, { .version = MFT_VERSION, .entries = 3,
                         .e = { MFT_RESERVED_ENTRY, { .name = "service0", .type = MFT_NET_BASIC },
                                { .name = "service1", .type = MFT_NET_BASIC } } });
#else
#define INTERFACES 1
RUNCC_MANIFEST_NOTE(2, { .version = MFT_VERSION, .entries = 2,
                         .e = { MFT_RESERVED_ENTRY, { .name = "service0", .type = MFT_NET_BASIC } } });
#endif

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define FRAME_MAX 65536
#define UDP_ECHO_PORT 7
#define PING_TIMESTAMP_BYTES 16

static struct iface ifaces[INTERFACES] = {
    { .name = "service0", .ip = { 10, 0, 0, 2 } },
#if INTERFACES > 1
    { .name = "service1", .ip = { 10, 1, 0, 2 } },
#endif
};

static uint8_t frame[FRAME_MAX];

/* Walks the space-separated words: addresses go to their interfaces, gateways are accepted (replies go back to the
 * sender's MAC, so no route is needed), and the first other word is the echo limit. */
static uint8_t pattern[16];
static size_t pattern_len;

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* "pattern=HEX": up to 16 bytes, as ping -p takes them. */
static void parse_pattern(const char *hex)
{
    while (pattern_len < sizeof pattern && hex_digit(hex[0]) >= 0 && hex_digit(hex[1]) >= 0) {
        pattern[pattern_len++] = (uint8_t)(hex_digit(hex[0]) << 4 | hex_digit(hex[1]));
        hex += 2;
    }
    if (pattern_len == 0)
        runtime_abort("malformed pattern= on the command line");
}

static uint64_t parse_cmdline(const char *cmdline)
{
    uint64_t limit = 0;
    int have_limit = 0;
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (starts_with(p, "pattern=")) {
            parse_pattern(p + 8);
        } else if (!apply_address_word(ifaces, INTERFACES, p) && !have_limit) {
            const char *dot = p;
            while (*dot && *dot != ' ' && *dot != '.')
                dot++;
            if (*dot != '.') {
                limit = parse_u64(p, 0);
                have_limit = 1;
            }
        }
        while (*p && *p != ' ')
            p++;
    }
    return limit;
}
static uint64_t echo_requests;
static uint64_t patterns_checked;
static uint64_t udp_datagrams;
static uint64_t udp_bytes;

static void swap_addresses(uint8_t *f, uint8_t *ip)
{
    uint8_t tmp[6];
    memcpy(tmp, f, 6);
    memcpy(f, f + 6, 6);
    memcpy(f + 6, tmp, 6);
    memcpy(tmp, ip + 12, 4);
    memcpy(ip + 12, ip + 16, 4);
    memcpy(ip + 16, tmp, 4);
}

/* The bulk test's echo: every payload byte checked, then the datagram goes back with its addresses swapped (the IP
 * checksum does not change; the UDP checksum is left out, as IPv4 allows). */
static void handle_udp(const struct iface *ifc, uint8_t *f, uint8_t *ip, size_t ihl, size_t total)
{
    uint8_t *udp = ip + ihl;
    if (total < ihl + 8 + 4 || get16(udp + 2) != UDP_ECHO_PORT)
        return;
    size_t udp_len = get16(udp + 4);
    if (udp_len < 8 + 4 || udp_len > total - ihl)
        return;
    const uint8_t *payload = udp + 8;
    size_t n = udp_len - 8;
    uint32_t seq = (uint32_t)payload[0] << 24 | (uint32_t)payload[1] << 16 | (uint32_t)payload[2] << 8 | payload[3];
    for (size_t i = 4; i < n; i++)
        if (payload[i] != (uint8_t)(seq + i))
            runtime_abort("a bulk datagram's payload is not what was sent");
    udp_datagrams++;
    udp_bytes += n;
    swap_addresses(f, ip);
    uint8_t port[2];
    memcpy(port, udp, 2);
    memcpy(udp, udp + 2, 2);
    memcpy(udp + 2, port, 2);
    put16(udp + 6, 0);
    send_frame(ifc, f, ETH_HLEN + total);
}

static void handle_ipv4(const struct iface *ifc, uint8_t *f, size_t len)
{
    uint8_t *ip = f + ETH_HLEN;
    if (len < ETH_HLEN + 20 || (ip[0] >> 4) != 4 || (ip[9] != IPPROTO_ICMP && ip[9] != IPPROTO_UDP) ||
        memcmp(ip + 16, ifc->ip, 4) != 0)
        return;
    size_t ihl = (size_t)(ip[0] & 0xf) * 4;
    size_t total = get16(ip + 2);
    if (ihl < 20 || total < ihl + 8 || ETH_HLEN + total > len)
        return;
    if (ip[9] == IPPROTO_UDP) {
        handle_udp(ifc, f, ip, ihl, total);
        return;
    }
    uint8_t *icmp = ip + ihl;
    if (icmp[0] != ICMP_ECHO_REQUEST)
        return;
    if (pattern_len) {
        size_t data_len = total - ihl - 8;
        for (size_t i = PING_TIMESTAMP_BYTES; i < data_len; i++)
            if (icmp[8 + i] != pattern[i % pattern_len])
                runtime_abort("an echo request's payload does not match the pattern");
        patterns_checked++;
    }
    swap_addresses(f, ip);
    icmp[0] = ICMP_ECHO_REPLY;
    put16(icmp + 2, 0);
    put16(icmp + 2, inet_checksum(icmp, total - ihl));
    send_frame(ifc, f, ETH_HLEN + total);
    echo_requests++;
}

int app_main(const char *cmdline)
{
    uint64_t limit = parse_cmdline(cmdline);

    for (int i = 0; i < INTERFACES; i++) {
        iface_open(&ifaces[i]);
        announce(&ifaces[i]);
    }
    print(net_ring() ? "network I/O: ring\n" : "network I/O: hypercalls\n");
    print("ready\n");

    uint64_t reported = 0, reported_udp = 0;
    while (limit == 0 || echo_requests < limit) {
        uint64_t ready_set = 0;
        if (poll_ns(1000000000ull, &ready_set) == 0) {
            if (limit == 0 && (echo_requests != reported || udp_datagrams != reported_udp)) {
                reported = echo_requests;
                reported_udp = udp_datagrams;
                print("answered ");
                print_u64(reported);
                print(" echo requests so far");
                if (pattern_len) {
                    print(", ");
                    print_u64(patterns_checked);
                    print(" with the pattern");
                }
                if (udp_datagrams) {
                    print(", echoed ");
                    print_u64(udp_datagrams);
                    print(" bulk datagrams (");
                    print_u64(udp_bytes);
                    print(" bytes checked)");
                }
                print("\n");
            }
            continue;
        }
        for (int i = 0; i < INTERFACES; i++) {
            struct iface *ifc = &ifaces[i];
            if (!(ready_set & (1ull << ifc->handle)))
                continue;
            for (;;) {
                size_t len = 0;
                int r = net_read(ifc->handle, frame, sizeof frame, &len);
                if (r == SOLO5_R_AGAIN)
                    break;
                if (r != SOLO5_R_OK)
                    runtime_abort("NET_READ failed");
                if (len < ETH_HLEN)
                    continue;
                uint16_t type = get16(frame + 12);
                if (type == ETHERTYPE_ARP)
                    handle_arp(ifc, frame, len);
                else if (type == ETHERTYPE_IPV4)
                    handle_ipv4(ifc, frame, len);
            }
        }
    }
    print("answered ");
    print_u64(echo_requests);
    print(" echo requests\nSUCCESS\n");
    return 0;
}
