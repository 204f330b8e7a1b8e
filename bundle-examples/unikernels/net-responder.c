/*
 * net-responder: answers ARP and ICMP echo requests, at 10.0.0.2 on "service0" (and 10.1.0.2 on "service1" when
 * built with TWO_INTERFACES). Prints each interface's MAC and MTU, announces itself with a gratuitous ARP, and
 * exits 0 after LIMIT echo requests (its command line; 0 or none = never).
 */
#include "runtime.h"
#include "notes.h"

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

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ARP_LEN 28
#define IPPROTO_ICMP 1
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define FRAME_MAX 65536

struct iface {
    const char *name;
    uint64_t handle;
    uint8_t mac[6];
    uint16_t mtu;
    uint8_t ip[4];
};

static struct iface ifaces[INTERFACES] = {
    { .name = "service0", .ip = { 10, 0, 0, 2 } },
#if INTERFACES > 1
    { .name = "service1", .ip = { 10, 1, 0, 2 } },
#endif
};

static uint8_t frame[FRAME_MAX];
static uint64_t echo_requests;

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static uint16_t checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (; len > 1; len -= 2, p += 2)
        sum += get16(p);
    if (len)
        sum += (uint32_t)p[0] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void send_frame(const struct iface *ifc, const uint8_t *data, size_t len)
{
    int r = net_write(ifc->handle, data, len);
    if (r != SOLO5_R_OK)
        runtime_abort("NET_WRITE failed");
}

static void send_arp(const struct iface *ifc, uint16_t oper, const uint8_t *dst_mac, const uint8_t *tha,
                     const uint8_t *tpa)
{
    uint8_t out[ETH_HLEN + ARP_LEN];
    memcpy(out, dst_mac, 6);
    memcpy(out + 6, ifc->mac, 6);
    put16(out + 12, ETHERTYPE_ARP);
    uint8_t *arp = out + ETH_HLEN;
    put16(arp, 1);
    put16(arp + 2, ETHERTYPE_IPV4);
    arp[4] = 6;
    arp[5] = 4;
    put16(arp + 6, oper);
    memcpy(arp + 8, ifc->mac, 6);
    memcpy(arp + 14, ifc->ip, 4);
    memcpy(arp + 18, tha, 6);
    memcpy(arp + 24, tpa, 4);
    send_frame(ifc, out, sizeof out);
}

static void handle_arp(const struct iface *ifc, const uint8_t *f, size_t len)
{
    const uint8_t *arp = f + ETH_HLEN;
    if (len < ETH_HLEN + ARP_LEN || get16(arp) != 1 || get16(arp + 2) != ETHERTYPE_IPV4 || get16(arp + 6) != 1)
        return;
    if (memcmp(arp + 24, ifc->ip, 4) != 0)
        return;
    send_arp(ifc, 2, f + 6, arp + 8, arp + 14);
}

static void handle_ipv4(const struct iface *ifc, uint8_t *f, size_t len)
{
    uint8_t *ip = f + ETH_HLEN;
    if (len < ETH_HLEN + 20 || (ip[0] >> 4) != 4 || ip[9] != IPPROTO_ICMP || memcmp(ip + 16, ifc->ip, 4) != 0)
        return;
    size_t ihl = (size_t)(ip[0] & 0xf) * 4;
    size_t total = get16(ip + 2);
    if (ihl < 20 || total < ihl + 8 || ETH_HLEN + total > len)
        return;
    uint8_t *icmp = ip + ihl;
    if (icmp[0] != ICMP_ECHO_REQUEST)
        return;
    uint8_t tmp[6];
    memcpy(tmp, f, 6);
    memcpy(f, f + 6, 6);
    memcpy(f + 6, tmp, 6);
    uint8_t addr[4];
    memcpy(addr, ip + 12, 4);
    memcpy(ip + 12, ip + 16, 4);
    memcpy(ip + 16, addr, 4);
    icmp[0] = ICMP_ECHO_REPLY;
    put16(icmp + 2, 0);
    put16(icmp + 2, checksum(icmp, total - ihl));
    send_frame(ifc, f, ETH_HLEN + total);
    echo_requests++;
}

static void print_mac(const uint8_t *mac)
{
    static const char hex[] = "0123456789abcdef";
    char text[18];
    for (int i = 0; i < 6; i++) {
        text[i * 3] = hex[mac[i] >> 4];
        text[i * 3 + 1] = hex[mac[i] & 0xf];
        text[i * 3 + 2] = i < 5 ? ':' : 0;
    }
    print(text);
}

int app_main(const char *cmdline)
{
    static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t zero_mac[6] = { 0 };
    uint64_t limit = parse_u64(cmdline, 0);

    for (int i = 0; i < INTERFACES; i++) {
        struct iface *ifc = &ifaces[i];
        const struct mft_entry *e = device_lookup(ifc->name, MFT_NET_BASIC, &ifc->handle);
        if (!e)
            runtime_abort("network device missing from the manifest");
        memcpy(ifc->mac, e->u.net.mac, 6);
        ifc->mtu = e->u.net.mtu;
        print(ifc->name);
        print(": MAC ");
        print_mac(ifc->mac);
        print(", MTU is ");
        print_u64(ifc->mtu);
        print("\n");
        send_arp(ifc, 1, broadcast, zero_mac, ifc->ip);
    }
    print("ready\n");

    while (limit == 0 || echo_requests < limit) {
        uint64_t ready_set = 0;
        if (poll_ns(1000000000ull, &ready_set) == 0)
            continue;
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
