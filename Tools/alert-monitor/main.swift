// Placeholder: the example alert service is being written.
print("alert-monitor")
