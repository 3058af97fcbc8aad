/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt's event loop on GLib's: file handles and timers that libvirt asks
 * for become GSources of the default main context, so libvirt events (domain
 * lifecycle, memory device size changes, streams) are dispatched by the same
 * loop as everything else, without a thread and without polling.
 */
#include "vmem-libvirt-events.h"

#include <glib-unix.h>
#include <libvirt/libvirt.h>

typedef struct {
	int id;
	int fd;	    /* -1 for a timer */
	int events; /* VIR_EVENT_HANDLE_* for a handle, interval in ms for a timer */
	virEventHandleCallback handle_cb;
	virEventTimeoutCallback timeout_cb;
	void *opaque;
	virFreeCallback ff;
	GSource *source;
} VmemEventItem;

static GMutex vmem_events_lock;
static GPtrArray *vmem_events_items;
static int vmem_events_next_id = 1;

static VmemEventItem *
vmem_events_find(int id)
{
	for (guint i = 0; i < vmem_events_items->len; i++) {
		VmemEventItem *item = g_ptr_array_index(vmem_events_items, i);
		if (item->id == id)
			return item;
	}
	return NULL;
}

static void
vmem_events_detach(VmemEventItem *item)
{
	if (item->source == NULL)
		return;
	g_source_destroy(item->source);
	g_source_unref(item->source);
	item->source = NULL;
}

static gboolean
vmem_events_handle_dispatch(gint fd, GIOCondition condition, gpointer user_data)
{
	int id = GPOINTER_TO_INT(user_data);
	virEventHandleCallback cb;
	void *opaque;
	int events = 0;

	g_mutex_lock(&vmem_events_lock);
	VmemEventItem *item = vmem_events_find(id);
	if (item == NULL) {
		g_mutex_unlock(&vmem_events_lock);
		return G_SOURCE_REMOVE;
	}
	cb = item->handle_cb;
	opaque = item->opaque;
	g_mutex_unlock(&vmem_events_lock);

	if (condition & G_IO_IN)
		events |= VIR_EVENT_HANDLE_READABLE;
	if (condition & G_IO_OUT)
		events |= VIR_EVENT_HANDLE_WRITABLE;
	if (condition & G_IO_ERR)
		events |= VIR_EVENT_HANDLE_ERROR;
	if (condition & G_IO_HUP)
		events |= VIR_EVENT_HANDLE_HANGUP;
	cb(id, fd, events, opaque);
	return G_SOURCE_CONTINUE;
}

static void
vmem_events_handle_attach(VmemEventItem *item)
{
	GIOCondition cond = 0;

	vmem_events_detach(item);
	if (item->events & VIR_EVENT_HANDLE_READABLE)
		cond |= G_IO_IN;
	if (item->events & VIR_EVENT_HANDLE_WRITABLE)
		cond |= G_IO_OUT;
	if (cond == 0)
		return;
	item->source = g_unix_fd_source_new(item->fd, cond | G_IO_HUP | G_IO_ERR);
	g_source_set_callback(item->source, G_SOURCE_FUNC(vmem_events_handle_dispatch),
			      GINT_TO_POINTER(item->id), NULL);
	g_source_attach(item->source, NULL);
}

static gboolean
vmem_events_timeout_dispatch(gpointer user_data)
{
	int id = GPOINTER_TO_INT(user_data);
	virEventTimeoutCallback cb;
	void *opaque;

	g_mutex_lock(&vmem_events_lock);
	VmemEventItem *item = vmem_events_find(id);
	if (item == NULL) {
		g_mutex_unlock(&vmem_events_lock);
		return G_SOURCE_REMOVE;
	}
	cb = item->timeout_cb;
	opaque = item->opaque;
	g_mutex_unlock(&vmem_events_lock);

	cb(id, opaque);
	return G_SOURCE_CONTINUE;
}

static void
vmem_events_timeout_attach(VmemEventItem *item)
{
	vmem_events_detach(item);
	if (item->events < 0)
		return;
	item->source = item->events == 0 ? g_idle_source_new() : g_timeout_source_new(item->events);
	g_source_set_callback(item->source, vmem_events_timeout_dispatch, GINT_TO_POINTER(item->id),
			      NULL);
	g_source_attach(item->source, NULL);
}

static int
vmem_events_add(int fd, int events, virEventHandleCallback handle_cb,
		virEventTimeoutCallback timeout_cb, void *opaque, virFreeCallback ff)
{
	VmemEventItem *item = g_new0(VmemEventItem, 1);
	int id;

	item->fd = fd;
	item->events = events;
	item->handle_cb = handle_cb;
	item->timeout_cb = timeout_cb;
	item->opaque = opaque;
	item->ff = ff;

	g_mutex_lock(&vmem_events_lock);
	id = item->id = vmem_events_next_id++;
	g_ptr_array_add(vmem_events_items, item);
	if (handle_cb != NULL)
		vmem_events_handle_attach(item);
	else
		vmem_events_timeout_attach(item);
	g_mutex_unlock(&vmem_events_lock);
	return id;
}

static int
vmem_events_add_handle(int fd, int events, virEventHandleCallback cb, void *opaque,
		       virFreeCallback ff)
{
	return vmem_events_add(fd, events, cb, NULL, opaque, ff);
}

static int
vmem_events_add_timeout(int interval, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff)
{
	return vmem_events_add(-1, interval, NULL, cb, opaque, ff);
}

static void
vmem_events_update(int id, int events)
{
	g_mutex_lock(&vmem_events_lock);
	VmemEventItem *item = vmem_events_find(id);
	if (item != NULL && item->handle_cb != NULL) {
		if (item->events != events) {
			item->events = events;
			vmem_events_handle_attach(item);
		}
	} else if (item != NULL) {
		/* Updating a timer restarts it, as in libvirt's own loop. */
		item->events = events;
		vmem_events_timeout_attach(item);
	}
	g_mutex_unlock(&vmem_events_lock);
}

static gboolean
vmem_events_free_idle(gpointer user_data)
{
	VmemEventItem *item = user_data;

	if (item->ff != NULL)
		item->ff(item->opaque);
	g_free(item);
	return G_SOURCE_REMOVE;
}

static int
vmem_events_remove(int id)
{
	g_mutex_lock(&vmem_events_lock);
	VmemEventItem *item = vmem_events_find(id);
	if (item == NULL) {
		g_mutex_unlock(&vmem_events_lock);
		return -1;
	}
	g_ptr_array_remove_fast(vmem_events_items, item);
	vmem_events_detach(item);
	g_mutex_unlock(&vmem_events_lock);

	/* libvirt forbids calling the free function from inside remove: its
	 * caller may hold a lock that the free function takes. */
	g_idle_add(vmem_events_free_idle, item);
	return 0;
}

/**
 * vmem_libvirt_events_register:
 *
 * Makes the default #GMainContext libvirt's event loop.  Idempotent; must
 * run before the first connection is opened.
 */
void
vmem_libvirt_events_register(void)
{
	static gsize once = 0;

	if (!g_once_init_enter(&once))
		return;
	vmem_events_items = g_ptr_array_new();
	virEventRegisterImpl(vmem_events_add_handle, vmem_events_update, vmem_events_remove,
			     vmem_events_add_timeout, vmem_events_update, vmem_events_remove);
	g_once_init_leave(&once, 1);
}
