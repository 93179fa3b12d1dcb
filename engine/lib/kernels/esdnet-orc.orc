# Elementwise kernels of the engine (ORC has no float accumulate, so the
# convolutions and pooled reductions stay in plain C with OpenMP).

# One LIF timestep of one channel, its spike packed as a bit:
# h = v * decay + current; spike = h >= threshold; v_next = spike ? 0 : h
# (hard reset); bits_out = bits_in | (spike ? bit : 0). The caller counts
# the spikes from the packed bytes.
.function esdnet_orc_lif_step_bits
.dest 4 v_next float
.dest 1 bits_out
.source 4 v float
.source 4 current float
.source 1 bits_in
.floatparam 4 decay
.floatparam 4 threshold
.param 4 bit
.temp 4 h
.temp 4 mask
.temp 4 b
.temp 2 bw
.temp 1 bb

mulf h, v, decay
addf h, h, current
cmplef mask, threshold, h
andnl v_next, mask, h
andl b, mask, bit
convlw bw, b
convwb bb, bw
orb bits_out, bits_in, bb
