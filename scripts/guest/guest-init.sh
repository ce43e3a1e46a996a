#!/bin/sh
# /init of the runtime-inspection guest (scripts/fetch-artifacts.sh packs it
# with busybox and fw_cfg_read). It prints the DRTM log QEMU's fw_cfg
# carries (a boot-time launch) and the guest TPM's PCR 17-22, then a counter
# with PCR 17 twice a second: tests see the guest running, paused, and a
# launch the host made on its TPM.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# fw_cfg_read exits 2 when there is no such file (no boot-time launch), 1
# when fw_cfg cannot be read at all.
/bin/fw_cfg_read opt/org.trenchboot/drtm/eventlog > /tmp/drtm-eventlog.bin 2>/tmp/fw_cfg_read.err
case $? in
  0) echo "DRTM-LOG sha256 $(sha256sum /tmp/drtm-eventlog.bin | cut -d ' ' -f 1) bytes $(wc -c < /tmp/drtm-eventlog.bin)" ;;
  2) echo "DRTM-LOG none" ;;
  *) echo "DRTM-LOG unreadable: $(cat /tmp/fw_cfg_read.err)" ;;
esac
for n in 17 18 19 20 21 22; do
  echo "DRTM-PCR sha256 $n $(cat /sys/class/tpm/tpm0/pcr-sha256/$n 2>/dev/null || echo none)"
done
echo "GUEST-READY"
i=0
while true; do
  i=$((i + 1))
  echo "TICK $i PCR17 $(cat /sys/class/tpm/tpm0/pcr-sha256/17 2>/dev/null || echo none)"
  sleep 0.5
done
