/*
 * Virtual USB host for DFU Desk's integration tests.
 *
 * Creates a umockdev testbed, puts USB devices into its sysfs and answers the usbdevfs ioctls
 * that libusb-based clients (the `usb` npm package, dfu-util) send to their /dev/bus/usb nodes.
 * The device logic is not here: every control transfer is forwarded, as a setup packet plus data,
 * to the Node process that started us (stdin/stdout, framed binary messages), and that process
 * answers from the project's simulator. See docs/virtual-usb.md for the protocol and the design.
 *
 * Threads: umockdev runs the ioctl handlers in its own worker thread; the main thread runs the
 * GLib main loop that reads messages from Node and owns the testbed. Shared state is guarded by
 * one mutex. umockdev_ioctl_client_complete() is thread-safe, so either thread may complete an
 * ioctl.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/usbdevice_fs.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <glib-unix.h>
#include <umockdev.h>

/* Messages host -> Node. */
enum {
    OUT_READY = 1,   /* str root_dir */
    OUT_CONTROL = 2, /* u32 seq, u32 device, setup[8], data */
    OUT_EVENT = 3,   /* u32 device, u8 kind, u32 arg */
    OUT_ADDED = 4,   /* u32 device, str devnode */
    OUT_REMOVED = 5, /* u32 device */
    OUT_CANCEL = 6,  /* u32 seq */
    OUT_LOG = 7,     /* str text */
};
/* Messages Node -> host. */
enum {
    IN_REPLY = 1,  /* u32 seq, i32 status (0 or -errno), data */
    IN_ADD = 2,    /* u32 device, u8 bus, u8 devnum, u32 speed, u32 desc_len, desc, NUL-terminated "name=value" attributes */
    IN_REMOVE = 3, /* u32 device */
    IN_QUIT = 4,
};
/* OUT_EVENT kinds, reported so tests can check what the client did. */
enum { EV_OPEN = 1, EV_CLOSE = 2, EV_CLAIM = 3, EV_RELEASE = 4, EV_RESET = 5, EV_DISCARD = 6 };

/* Idle back-off for REAPURBNDELAY (see hold_reap()). */
#define HOLD_INFLIGHT_MS 2
#define HOLD_IDLE_MS 10
#define ACTIVE_WINDOW_US 20000

typedef struct Device Device;
typedef struct Client Client;

struct Device {
    guint32 id;
    int busnum, devnum, speed;
    gboolean gone;
    char *syspath;
    char devnode[64];
    UMockdevIoctlBase *handler;
};

typedef struct {
    guint32 seq;
    Client *client;
    UMockdevIoctlData *urb_data; /* the client's struct usbdevfs_urb, buffer pointer resolved */
    UMockdevIoctlData *buf_data; /* setup packet + data stage */
    gulong user_addr;            /* the client's address of the URB, for DISCARDURB */
    gboolean is_in;
    int wlength;
} Urb;

/* A synchronous ioctl (USBDEVFS_CONTROL, SETINTERFACE, SETCONFIGURATION) waiting for Node. */
typedef struct {
    guint32 seq;
    Client *client;
    UMockdevIoctlData *data; /* data stage of USBDEVFS_CONTROL, or NULL */
    gboolean is_in;
    int wlength;
} SyncOp;

struct Client {
    UMockdevIoctlClient *ioctl_client;
    Device *device;
    GQueue inflight; /* Urb* sent to Node */
    GQueue done;     /* Urb* ready to be reaped */
    UMockdevIoctlData *held_reap; /* argument of a REAPURBNDELAY we are holding, or NULL */
    guint held_generation; /* tells a late timer from the one belonging to the current hold */
    gint64 last_submit_us;
    gboolean vanished;
};

static struct {
    GMutex lock;
    GMutex write_lock;
    UMockdevTestbed *testbed;
    GHashTable *devices; /* id -> Device* */
    GHashTable *ops;     /* seq -> Urb* or SyncOp* (tagged by ops_kind) */
    GHashTable *ops_kind; /* seq -> 1 (urb) / 2 (sync) */
    guint32 next_seq;
    GMainLoop *loop;
    gboolean debug;
} G;

/* ---------------------------------------------------------------------------------------------
 * Framing: u32 little-endian length of (type + payload), u8 type, payload.
 */

static void put_u32(GByteArray *a, guint32 v) {
    guint8 b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff};
    g_byte_array_append(a, b, 4);
}

static void send_frame(guint8 type, const guint8 *payload, gsize len) {
    guint8 head[5];
    guint32 total = (guint32)len + 1;
    head[0] = total & 0xff;
    head[1] = (total >> 8) & 0xff;
    head[2] = (total >> 16) & 0xff;
    head[3] = (total >> 24) & 0xff;
    head[4] = type;
    g_mutex_lock(&G.write_lock);
    /* One buffered write per frame keeps frames from interleaving between threads. */
    fwrite(head, 1, 5, stdout);
    if (len)
        fwrite(payload, 1, len, stdout);
    fflush(stdout);
    g_mutex_unlock(&G.write_lock);
}

static void send_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void send_log(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    send_frame(OUT_LOG, (const guint8 *)text, strlen(text));
    g_free(text);
}

static void send_event(Device *d, guint8 kind, guint32 arg) {
    GByteArray *a = g_byte_array_new();
    put_u32(a, d ? d->id : 0);
    g_byte_array_append(a, &kind, 1);
    put_u32(a, arg);
    send_frame(OUT_EVENT, a->data, a->len);
    g_byte_array_unref(a);
}

static void send_cancel(guint32 seq) {
    GByteArray *a = g_byte_array_new();
    put_u32(a, seq);
    send_frame(OUT_CANCEL, a->data, a->len);
    g_byte_array_unref(a);
}

static void send_control(guint32 seq, Device *d, const guint8 setup[8], const guint8 *data, gsize len) {
    GByteArray *a = g_byte_array_new();
    put_u32(a, seq);
    put_u32(a, d->id);
    g_byte_array_append(a, setup, 8);
    if (len)
        g_byte_array_append(a, data, len);
    send_frame(OUT_CONTROL, a->data, a->len);
    g_byte_array_unref(a);
}

/* ---------------------------------------------------------------------------------------------
 * Per-client state.
 */

static void client_gone(UMockdevIoctlClient *ic);

static Client *client_of(UMockdevIoctlClient *ic, Device *d) {
    Client *c = g_object_get_data(G_OBJECT(ic), "vusb-client");
    if (c)
        return c;
    c = g_new0(Client, 1);
    c->ioctl_client = g_object_ref(ic);
    c->device = d;
    g_queue_init(&c->inflight);
    g_queue_init(&c->done);
    g_object_set_data(G_OBJECT(ic), "vusb-client", c);
    return c;
}

static void urb_free(Urb *u) {
    if (u->buf_data)
        umockdev_ioctl_data_unref(u->buf_data);
    umockdev_ioctl_data_unref(u->urb_data);
    g_free(u);
}

static struct usbdevfs_urb *urb_struct(Urb *u) { return (struct usbdevfs_urb *)u->urb_data->data; }

/* Gives a finished URB to a held REAPURBNDELAY, if there is one. Called with G.lock held. */
static void deliver_done(Client *c) {
    if (!c->held_reap || g_queue_is_empty(&c->done))
        return;
    Urb *u = g_queue_pop_head(&c->done);
    UMockdevIoctlData *arg = c->held_reap;
    c->held_reap = NULL;
    c->held_generation++;
    /* The client's URB pointer goes back through umockdev's pointer translation: set_ptr makes
     * the flush write the URB struct (and its buffer) back to the client's own addresses. */
    umockdev_ioctl_data_set_ptr(arg, 0, u->urb_data);
    umockdev_ioctl_client_complete(c->ioctl_client, 0, 0);
    umockdev_ioctl_data_unref(arg);
    /* The URB data objects stay alive as children of the reap argument until the flush. */
    urb_free(u);
}

static void finish_urb(Urb *u, int status, const guint8 *data, gsize len) {
    struct usbdevfs_urb *urb = urb_struct(u);
    urb->status = status;
    urb->actual_length = 0;
    if (status == 0) {
        if (u->is_in) {
            gsize room = (gsize)u->wlength;
            gsize n = len < room ? len : room;
            if (n && u->buf_data)
                memcpy(u->buf_data->data + 8, data, n);
            urb->actual_length = (int)n;
        } else {
            urb->actual_length = u->wlength;
        }
    }
    g_queue_remove(&u->client->inflight, u);
    g_queue_push_tail(&u->client->done, u);
    deliver_done(u->client);
}

typedef struct {
    Client *client;
    guint generation;
} HoldTimer;

static gboolean held_reap_timeout(gpointer user) {
    HoldTimer *t = user;
    Client *c = t->client;
    g_mutex_lock(&G.lock);
    if (t->generation != c->held_generation) {
        g_mutex_unlock(&G.lock);
        return G_SOURCE_REMOVE;
    }
    gboolean closed = !umockdev_ioctl_client_get_connected(c->ioctl_client);
    if (c->held_reap && !closed) {
        UMockdevIoctlData *arg = c->held_reap;
        c->held_reap = NULL;
        umockdev_ioctl_client_complete(c->ioctl_client, -1, c->device->gone ? ENODEV : EAGAIN);
        umockdev_ioctl_data_unref(arg);
    }
    g_mutex_unlock(&G.lock);
    /* umockdev 0.17.16 does not emit client-vanished when a client closes the node; a held reap
     * notices the closed connection here. */
    if (closed)
        client_gone(c->ioctl_client);
    return G_SOURCE_REMOVE;
}

/*
 * The emulated device node is a plain file, so poll() on it always reports it ready and libusb's
 * event loop calls REAPURBNDELAY in a tight loop while it waits. To keep that from burning a core
 * we hold an empty reap for a short while and answer it as soon as a URB completes. The preload
 * serialises all ioctls of a process, so while we hold a reap the client cannot submit: holds are
 * kept short while the client is active and longer only when it has been idle for a while.
 */
static void hold_reap(Client *c, UMockdevIoctlData *arg) {
    gint64 now = g_get_monotonic_time();
    guint ms;
    if (!g_queue_is_empty(&c->inflight))
        ms = HOLD_INFLIGHT_MS;
    else if (now - c->last_submit_us < ACTIVE_WINDOW_US) {
        /* Nothing can complete, and the client is about to submit the next transfer. */
        umockdev_ioctl_client_complete(c->ioctl_client, -1, EAGAIN);
        umockdev_ioctl_data_unref(arg);
        return;
    } else
        ms = HOLD_IDLE_MS;
    HoldTimer *t = g_new0(HoldTimer, 1);
    t->client = c;
    t->generation = ++c->held_generation;
    c->held_reap = arg;
    g_timeout_add_full(G_PRIORITY_DEFAULT, ms, held_reap_timeout, t, g_free);
}

/* ---------------------------------------------------------------------------------------------
 * ioctl handling (umockdev worker thread).
 */

static void complete_errno(UMockdevIoctlClient *ic, int err) { umockdev_ioctl_client_complete(ic, -1, err); }

static UMockdevIoctlData *resolve_arg(UMockdevIoctlClient *ic, gsize size) {
    GError *error = NULL;
    UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(ic);
    UMockdevIoctlData *data = umockdev_ioctl_data_resolve(arg, 0, size, &error);
    if (error) {
        send_log("resolve failed: %s", error->message);
        g_error_free(error);
        return NULL;
    }
    return data;
}

static guint32 new_seq(gpointer op, int kind) {
    guint32 seq = ++G.next_seq;
    g_hash_table_insert(G.ops, GUINT_TO_POINTER(seq), op);
    g_hash_table_insert(G.ops_kind, GUINT_TO_POINTER(seq), GINT_TO_POINTER(kind));
    return seq;
}

static void handle_submit(Client *c, UMockdevIoctlClient *ic) {
    UMockdevIoctlData *data = resolve_arg(ic, sizeof(struct usbdevfs_urb));
    if (!data) {
        complete_errno(ic, EFAULT);
        return;
    }
    struct usbdevfs_urb *urb = (struct usbdevfs_urb *)data->data;
    if (c->device->gone) {
        complete_errno(ic, ENODEV);
        return;
    }
    /* DFU uses the default control pipe only. */
    if (urb->type != USBDEVFS_URB_TYPE_CONTROL || (urb->endpoint & 0x7f) != 0 || urb->buffer_length < 8) {
        complete_errno(ic, EINVAL);
        return;
    }
    Urb *u = g_new0(Urb, 1);
    u->client = c;
    u->user_addr = data->client_addr;
    u->urb_data = umockdev_ioctl_data_ref(data);
    GError *error = NULL;
    gsize offset = G_STRUCT_OFFSET(struct usbdevfs_urb, buffer);
    UMockdevIoctlData *buf = umockdev_ioctl_data_resolve(data, offset, (gsize)urb->buffer_length, &error);
    if (!buf) {
        if (error)
            g_error_free(error);
        urb_free(u);
        complete_errno(ic, EFAULT);
        return;
    }
    u->buf_data = umockdev_ioctl_data_ref(buf);
    const guint8 *setup = buf->data;
    u->is_in = (setup[0] & 0x80) != 0;
    u->wlength = setup[6] | (setup[7] << 8);
    if (u->wlength > urb->buffer_length - 8)
        u->wlength = urb->buffer_length - 8;
    u->seq = new_seq(u, 1);
    c->last_submit_us = g_get_monotonic_time();
    g_queue_push_tail(&c->inflight, u);
    send_control(u->seq, c->device, setup, u->is_in ? NULL : setup + 8, u->is_in ? 0 : (gsize)u->wlength);
    umockdev_ioctl_client_complete(ic, 0, 0);
}

static void handle_reap(Client *c, UMockdevIoctlClient *ic, gboolean nodelay) {
    UMockdevIoctlData *data = resolve_arg(ic, sizeof(void *));
    if (!data) {
        complete_errno(ic, EFAULT);
        return;
    }
    umockdev_ioctl_data_ref(data);
    if (c->held_reap) {
        /* Cannot happen: the preload serialises ioctls. Refuse rather than lose a URB. */
        umockdev_ioctl_data_unref(data);
        complete_errno(ic, EBUSY);
        return;
    }
    c->held_reap = data;
    if (!g_queue_is_empty(&c->done)) {
        deliver_done(c);
        return;
    }
    c->held_reap = NULL;
    if (c->device->gone && g_queue_is_empty(&c->inflight)) {
        umockdev_ioctl_data_unref(data);
        complete_errno(ic, ENODEV);
        return;
    }
    if (!nodelay) {
        /* Blocking reap: wait for the next completion however long it takes. */
        c->held_reap = data;
        return;
    }
    hold_reap(c, data);
}

static void handle_discard(Client *c, UMockdevIoctlClient *ic) {
    /* DISCARDURB passes the URB's address itself; umockdev rewrote the submitted struct's
     * pointers, so we match on the address recorded at submit time. */
    UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(ic);
    gulong addr = *(gulong *)arg->data;
    for (GList *l = c->inflight.head; l; l = l->next) {
        Urb *u = l->data;
        if (u->user_addr == addr) {
            g_hash_table_remove(G.ops, GUINT_TO_POINTER(u->seq));
            g_hash_table_remove(G.ops_kind, GUINT_TO_POINTER(u->seq));
            send_cancel(u->seq);
            send_event(c->device, EV_DISCARD, u->seq);
            umockdev_ioctl_client_complete(ic, 0, 0);
            /* Linux usbfs: an unlinked URB is given back with -ENOENT. */
            finish_urb(u, -ENOENT, NULL, 0);
            return;
        }
    }
    complete_errno(ic, EINVAL);
}

/* Sends a request that has no URB (set interface/configuration) as a standard control request,
 * so that Node sees every device-visible action as one setup packet. */
static void forward_sync(Client *c, const guint8 setup[8], UMockdevIoctlData *data,
                         const guint8 *out, gsize out_len) {
    SyncOp *op = g_new0(SyncOp, 1);
    op->client = c;
    op->data = data ? umockdev_ioctl_data_ref(data) : NULL;
    op->is_in = (setup[0] & 0x80) != 0;
    op->wlength = setup[6] | (setup[7] << 8);
    op->seq = new_seq(op, 2);
    c->last_submit_us = g_get_monotonic_time();
    send_control(op->seq, c->device, setup, out, out_len);
}

static void handle_control(Client *c, UMockdevIoctlClient *ic) {
    UMockdevIoctlData *data = resolve_arg(ic, sizeof(struct usbdevfs_ctrltransfer));
    if (!data) {
        complete_errno(ic, EFAULT);
        return;
    }
    if (c->device->gone) {
        complete_errno(ic, ENODEV);
        return;
    }
    struct usbdevfs_ctrltransfer *ct = (struct usbdevfs_ctrltransfer *)data->data;
    guint8 setup[8] = {ct->bRequestType, ct->bRequest, ct->wValue & 0xff, ct->wValue >> 8,
                       ct->wIndex & 0xff, ct->wIndex >> 8, ct->wLength & 0xff, ct->wLength >> 8};
    UMockdevIoctlData *buf = NULL;
    if (ct->wLength) {
        GError *error = NULL;
        buf = umockdev_ioctl_data_resolve(data, G_STRUCT_OFFSET(struct usbdevfs_ctrltransfer, data), ct->wLength, &error);
        if (!buf) {
            if (error)
                g_error_free(error);
            complete_errno(ic, EFAULT);
            return;
        }
    }
    gboolean in = (ct->bRequestType & 0x80) != 0;
    forward_sync(c, setup, buf, (!in && buf) ? buf->data : NULL, (!in && buf) ? ct->wLength : 0);
}

static gboolean on_ioctl(UMockdevIoctlBase *handler, UMockdevIoctlClient *ic, gpointer user) {
    Device *d = user;
    (void)handler;
    gulong request = umockdev_ioctl_client_get_request(ic);
    g_mutex_lock(&G.lock);
    Client *c = client_of(ic, d);
    switch (request) {
    case USBDEVFS_SUBMITURB:
        handle_submit(c, ic);
        break;
    case USBDEVFS_REAPURB:
    case USBDEVFS_REAPURBNDELAY:
        handle_reap(c, ic, request == USBDEVFS_REAPURBNDELAY);
        break;
    case USBDEVFS_DISCARDURB:
        handle_discard(c, ic);
        break;
    case USBDEVFS_CONTROL:
        handle_control(c, ic);
        break;
    case USBDEVFS_GET_CAPABILITIES: {
        UMockdevIoctlData *data = resolve_arg(ic, sizeof(guint32));
        if (data)
            *(guint32 *)data->data = USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_BULK_CONTINUATION |
                                     USBDEVFS_CAP_NO_PACKET_SIZE_LIM | USBDEVFS_CAP_REAP_AFTER_DISCONNECT;
        umockdev_ioctl_client_complete(ic, data ? 0 : -1, data ? 0 : EFAULT);
        break;
    }
    case USBDEVFS_CLAIMINTERFACE:
    case USBDEVFS_RELEASEINTERFACE: {
        UMockdevIoctlData *data = resolve_arg(ic, sizeof(guint32));
        if (d->gone) {
            complete_errno(ic, ENODEV);
            break;
        }
        guint32 iface = data ? *(guint32 *)data->data : 0;
        send_event(d, request == USBDEVFS_CLAIMINTERFACE ? EV_CLAIM : EV_RELEASE, iface);
        umockdev_ioctl_client_complete(ic, 0, 0);
        break;
    }
    case USBDEVFS_DISCONNECT_CLAIM: {
        UMockdevIoctlData *data = resolve_arg(ic, sizeof(struct usbdevfs_disconnect_claim));
        if (d->gone) {
            complete_errno(ic, ENODEV);
            break;
        }
        send_event(d, EV_CLAIM, data ? ((struct usbdevfs_disconnect_claim *)data->data)->interface : 0);
        umockdev_ioctl_client_complete(ic, 0, 0);
        break;
    }
    case USBDEVFS_SETINTERFACE: {
        UMockdevIoctlData *data = resolve_arg(ic, sizeof(struct usbdevfs_setinterface));
        if (!data || d->gone) {
            complete_errno(ic, data ? ENODEV : EFAULT);
            break;
        }
        struct usbdevfs_setinterface *si = (struct usbdevfs_setinterface *)data->data;
        /* USB 2.0 §9.4.10 SET_INTERFACE: bmRequestType 0x01, bRequest 11. */
        guint8 setup[8] = {0x01, 0x0b, si->altsetting & 0xff, si->altsetting >> 8, si->interface & 0xff, si->interface >> 8, 0, 0};
        forward_sync(c, setup, NULL, NULL, 0);
        break;
    }
    case USBDEVFS_SETCONFIGURATION: {
        UMockdevIoctlData *data = resolve_arg(ic, sizeof(guint32));
        if (!data || d->gone) {
            complete_errno(ic, data ? ENODEV : EFAULT);
            break;
        }
        guint32 value = *(guint32 *)data->data;
        /* USB 2.0 §9.4.7 SET_CONFIGURATION: bmRequestType 0x00, bRequest 9. */
        guint8 setup[8] = {0x00, 0x09, value & 0xff, 0, 0, 0, 0, 0};
        forward_sync(c, setup, NULL, NULL, 0);
        break;
    }
    case USBDEVFS_CONNECTINFO: {
        UMockdevIoctlData *data = resolve_arg(ic, sizeof(struct usbdevfs_connectinfo));
        if (data) {
            struct usbdevfs_connectinfo *ci = (struct usbdevfs_connectinfo *)data->data;
            ci->devnum = (unsigned)d->devnum;
            ci->slow = 0;
        }
        umockdev_ioctl_client_complete(ic, data ? 0 : -1, data ? 0 : EFAULT);
        break;
    }
    case USBDEVFS_GET_SPEED:
        /* enum usb_device_speed: USB_SPEED_FULL = 2, USB_SPEED_HIGH = 3. */
        umockdev_ioctl_client_complete(ic, d->speed >= 480 ? 3 : 2, 0);
        break;
    case USBDEVFS_RESET:
        if (d->gone) {
            complete_errno(ic, ENODEV);
            break;
        }
        send_event(d, EV_RESET, 0);
        umockdev_ioctl_client_complete(ic, 0, 0);
        break;
    case USBDEVFS_CLEAR_HALT:
    case USBDEVFS_RESETEP:
    case USBDEVFS_DROP_PRIVILEGES:
        umockdev_ioctl_client_complete(ic, d->gone ? -1 : 0, d->gone ? ENODEV : 0);
        break;
    case USBDEVFS_GETDRIVER:
    case USBDEVFS_IOCTL:
        /* No kernel driver is bound to a virtual device. */
        complete_errno(ic, ENODATA);
        break;
    default:
        if (G.debug)
            send_log("unhandled ioctl 0x%lx", request);
        complete_errno(ic, ENOTTY);
        break;
    }
    g_mutex_unlock(&G.lock);
    return TRUE;
}

static void on_client_connected(UMockdevIoctlBase *handler, UMockdevIoctlClient *ic, gpointer user) {
    Device *d = user;
    (void)handler;
    g_mutex_lock(&G.lock);
    client_of(ic, d);
    g_mutex_unlock(&G.lock);
    send_event(d, EV_OPEN, 0);
}

static void client_gone(UMockdevIoctlClient *ic) {
    g_mutex_lock(&G.lock);
    Client *c = g_object_get_data(G_OBJECT(ic), "vusb-client");
    Device *d = c ? c->device : NULL;
    if (c && !c->vanished) {
        /* The process closed the device or died: forget its transfers. The Client struct is kept
         * (it is tiny) because a late reply or timer may still reference it. */
        c->vanished = TRUE;
        Urb *u;
        while ((u = g_queue_pop_head(&c->inflight))) {
            g_hash_table_remove(G.ops, GUINT_TO_POINTER(u->seq));
            g_hash_table_remove(G.ops_kind, GUINT_TO_POINTER(u->seq));
            send_cancel(u->seq);
            urb_free(u);
        }
        while ((u = g_queue_pop_head(&c->done)))
            urb_free(u);
        c->held_generation++;
        if (c->held_reap) {
            umockdev_ioctl_data_unref(c->held_reap);
            c->held_reap = NULL;
        }
    } else {
        d = NULL;
    }
    g_mutex_unlock(&G.lock);
    if (d)
        send_event(d, EV_CLOSE, 0);
}


static void on_client_vanished(UMockdevIoctlBase *handler, UMockdevIoctlClient *ic, gpointer user) {
    (void)handler;
    (void)user;
    client_gone(ic);
}

/* ---------------------------------------------------------------------------------------------
 * Messages from Node (main thread).
 */

static guint32 get_u32(const guint8 *p) { return p[0] | (p[1] << 8) | (p[2] << 16) | ((guint32)p[3] << 24); }

static void on_reply(const guint8 *p, gsize len) {
    if (len < 8)
        return;
    guint32 seq = get_u32(p);
    gint32 status = (gint32)get_u32(p + 4);
    const guint8 *data = p + 8;
    gsize dlen = len - 8;
    g_mutex_lock(&G.lock);
    gpointer op = g_hash_table_lookup(G.ops, GUINT_TO_POINTER(seq));
    int kind = GPOINTER_TO_INT(g_hash_table_lookup(G.ops_kind, GUINT_TO_POINTER(seq)));
    if (!op) {
        /* Discarded or cancelled meanwhile. */
        g_mutex_unlock(&G.lock);
        return;
    }
    g_hash_table_remove(G.ops, GUINT_TO_POINTER(seq));
    g_hash_table_remove(G.ops_kind, GUINT_TO_POINTER(seq));
    if (kind == 1) {
        finish_urb(op, status, data, dlen);
    } else {
        SyncOp *s = op;
        if (status != 0) {
            umockdev_ioctl_client_complete(s->client->ioctl_client, -1, -status);
        } else if (s->is_in) {
            gsize n = dlen < (gsize)s->wlength ? dlen : (gsize)s->wlength;
            if (n && s->data)
                memcpy(s->data->data, data, n);
            umockdev_ioctl_client_complete(s->client->ioctl_client, (glong)n, 0);
        } else {
            umockdev_ioctl_client_complete(s->client->ioctl_client, s->wlength, 0);
        }
        if (s->data)
            umockdev_ioctl_data_unref(s->data);
        g_free(s);
    }
    g_mutex_unlock(&G.lock);
}

static void append_hex(GString *s, const guint8 *p, gsize n) {
    for (gsize i = 0; i < n; i++)
        g_string_append_printf(s, "%02x", p[i]);
}

static void on_add(const guint8 *p, gsize len) {
    if (len < 14)
        return;
    guint32 id = get_u32(p);
    int bus = p[4], devnum = p[5];
    guint32 speed = get_u32(p + 6);
    guint32 dlen = get_u32(p + 10);
    if (14 + (gsize)dlen > len)
        return;
    const guint8 *desc = p + 14;
    Device *d = g_new0(Device, 1);
    d->id = id;
    d->busnum = bus;
    d->devnum = devnum;
    d->speed = (int)speed;
    snprintf(d->devnode, sizeof(d->devnode), "/dev/bus/usb/%03d/%03d", bus, devnum);
    char *name = g_strdup_printf("%d-%u", bus, id);
    d->syspath = g_strdup_printf("/sys/devices/vusb%d/%s", bus, name);

    /* One umockdev description: text attributes (A:), the binary sysfs "descriptors" file (H:),
     * which libusb's Linux backend reads instead of asking the device, and udev properties (E:). */
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "P: /devices/vusb%d/%s\nN: bus/usb/%03d/%03d\n", bus, name, bus, devnum);
    g_string_append(s, "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\n");
    g_string_append_printf(s, "E: DEVNAME=/dev/bus/usb/%03d/%03d\nE: BUSNUM=%03d\nE: DEVNUM=%03d\n", bus, devnum, bus, devnum);
    if (dlen >= 18)
        g_string_append_printf(s, "E: PRODUCT=%x/%x/%x\n", desc[8] | (desc[9] << 8), desc[10] | (desc[11] << 8),
                               desc[12] | (desc[13] << 8));
    g_string_append_printf(s, "A: busnum=%d\nA: devnum=%d\nA: speed=%u\n", bus, devnum, speed);
    if (dlen >= 18) {
        g_string_append_printf(s, "A: idVendor=%04x\nA: idProduct=%04x\nA: bcdDevice=%04x\n", desc[8] | (desc[9] << 8),
                               desc[10] | (desc[11] << 8), desc[12] | (desc[13] << 8));
        g_string_append_printf(s, "A: bDeviceClass=%02x\nA: bMaxPacketSize0=%d\nA: bNumConfigurations=%d\n", desc[4],
                               desc[7], desc[17]);
    }
    if (dlen >= 18 + 9)
        g_string_append_printf(s, "A: bConfigurationValue=%d\nA: bNumInterfaces=%2d\n", desc[18 + 5], desc[18 + 4]);
    /* Extra text attributes: "manufacturer=...", "product=...", "serial=...". */
    const guint8 *q = desc + dlen;
    while (q < p + len) {
        const guint8 *end = memchr(q, 0, (gsize)(p + len - q));
        if (!end)
            break;
        if (end > q && !memchr(q, '\n', (gsize)(end - q)))
            g_string_append_printf(s, "A: %s\n", (const char *)q);
        q = end + 1;
    }
    g_string_append(s, "H: descriptors=");
    append_hex(s, desc, dlen);
    g_string_append(s, "\n");

    GError *error = NULL;
    d->handler = umockdev_ioctl_base_new();
    g_signal_connect(d->handler, "handle-ioctl", G_CALLBACK(on_ioctl), d);
    g_signal_connect(d->handler, "client-connected", G_CALLBACK(on_client_connected), d);
    g_signal_connect(d->handler, "client-vanished", G_CALLBACK(on_client_vanished), d);
    /* Attach before the device appears, so a client reacting to the "add" uevent can open it. */
    if (!umockdev_testbed_attach_ioctl(G.testbed, d->devnode, d->handler, &error)) {
        send_log("attach_ioctl %s failed: %s", d->devnode, error ? error->message : "?");
        g_clear_error(&error);
    }
    if (!umockdev_testbed_add_from_string(G.testbed, s->str, &error)) {
        send_log("add device failed: %s", error ? error->message : "?");
        g_clear_error(&error);
    }
    g_string_free(s, TRUE);
    g_free(name);

    g_mutex_lock(&G.lock);
    g_hash_table_insert(G.devices, GUINT_TO_POINTER(id), d);
    g_mutex_unlock(&G.lock);

    GByteArray *a = g_byte_array_new();
    put_u32(a, id);
    g_byte_array_append(a, (const guint8 *)d->syspath, strlen(d->syspath) + 1);
    g_byte_array_append(a, (const guint8 *)d->devnode, strlen(d->devnode));
    send_frame(OUT_ADDED, a->data, a->len);
    g_byte_array_unref(a);
}

static void on_remove(const guint8 *p, gsize len) {
    if (len < 4)
        return;
    guint32 id = get_u32(p);
    g_mutex_lock(&G.lock);
    Device *d = g_hash_table_lookup(G.devices, GUINT_TO_POINTER(id));
    if (!d || d->gone) {
        g_mutex_unlock(&G.lock);
        return;
    }
    d->gone = TRUE;
    /* Like a real unplug: every pending URB comes back with -ESHUTDOWN (Linux hcd), further
     * ioctls fail with ENODEV. Clients keep their connection to the handler so that they can
     * reap and close normally. */
    GHashTableIter it;
    gpointer key, value;
    GPtrArray *victims = g_ptr_array_new();
    g_hash_table_iter_init(&it, G.ops);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        int kind = GPOINTER_TO_INT(g_hash_table_lookup(G.ops_kind, key));
        Client *c = kind == 1 ? ((Urb *)value)->client : ((SyncOp *)value)->client;
        if (c->device == d)
            g_ptr_array_add(victims, key);
    }
    for (guint i = 0; i < victims->len; i++) {
        gpointer k = g_ptr_array_index(victims, i);
        gpointer op = g_hash_table_lookup(G.ops, k);
        int kind = GPOINTER_TO_INT(g_hash_table_lookup(G.ops_kind, k));
        g_hash_table_remove(G.ops, k);
        g_hash_table_remove(G.ops_kind, k);
        if (kind == 1) {
            finish_urb(op, -ESHUTDOWN, NULL, 0);
        } else {
            SyncOp *s = op;
            umockdev_ioctl_client_complete(s->client->ioctl_client, -1, ENODEV);
            if (s->data)
                umockdev_ioctl_data_unref(s->data);
            g_free(s);
        }
    }
    g_ptr_array_unref(victims);
    g_mutex_unlock(&G.lock);

    /* libusb learns about the removal from the uevent; the sysfs entry must still exist while the
     * event is built, so send it first. */
    umockdev_testbed_uevent(G.testbed, d->syspath, "remove");
    umockdev_testbed_remove_device(G.testbed, d->syspath);

    GByteArray *a = g_byte_array_new();
    put_u32(a, id);
    send_frame(OUT_REMOVED, a->data, a->len);
    g_byte_array_unref(a);
}

static GByteArray *inbuf;

static gboolean on_stdin(GIOChannel *ch, GIOCondition cond, gpointer user) {
    (void)user;
    guint8 tmp[65536];
    if (cond & G_IO_IN) {
        ssize_t n = read(g_io_channel_unix_get_fd(ch), tmp, sizeof(tmp));
        if (n > 0) {
            g_byte_array_append(inbuf, tmp, (guint)n);
            while (inbuf->len >= 5) {
                guint32 total = get_u32(inbuf->data);
                if (inbuf->len < 4 + total)
                    break;
                guint8 type = inbuf->data[4];
                const guint8 *payload = inbuf->data + 5;
                gsize plen = total - 1;
                switch (type) {
                case IN_REPLY:
                    on_reply(payload, plen);
                    break;
                case IN_ADD:
                    on_add(payload, plen);
                    break;
                case IN_REMOVE:
                    on_remove(payload, plen);
                    break;
                case IN_QUIT:
                    g_main_loop_quit(G.loop);
                    break;
                }
                g_byte_array_remove_range(inbuf, 0, 4 + total);
            }
            return G_SOURCE_CONTINUE;
        }
    }
    /* Node went away: nothing more to serve. */
    g_main_loop_quit(G.loop);
    return G_SOURCE_REMOVE;
}

static gboolean on_signal(gpointer user) {
    (void)user;
    g_main_loop_quit(G.loop);
    return G_SOURCE_REMOVE;
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--debug") == 0)
            G.debug = TRUE;
    signal(SIGPIPE, SIG_IGN);
    g_mutex_init(&G.lock);
    g_mutex_init(&G.write_lock);
    G.devices = g_hash_table_new(g_direct_hash, g_direct_equal);
    G.ops = g_hash_table_new(g_direct_hash, g_direct_equal);
    G.ops_kind = g_hash_table_new(g_direct_hash, g_direct_equal);
    inbuf = g_byte_array_new();

    G.testbed = umockdev_testbed_new();
    char *root = umockdev_testbed_get_root_dir(G.testbed);
    send_frame(OUT_READY, (const guint8 *)root, strlen(root));
    g_free(root);

    G.loop = g_main_loop_new(NULL, FALSE);
    GIOChannel *ch = g_io_channel_unix_new(0);
    g_io_add_watch(ch, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, NULL);
    g_unix_signal_add(SIGTERM, on_signal, NULL);
    g_unix_signal_add(SIGINT, on_signal, NULL);
    g_main_loop_run(G.loop);

    /* Unreffing the testbed removes its temporary directory. */
    g_object_unref(G.testbed);
    return 0;
}
