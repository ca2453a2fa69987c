/* Prints FFTW_PATIENT wisdom for real-to-complex transforms of the sizes given (Sources/FFTW/EmbeddedWisdom.swift).
   cc -O2 tools/bench/fftw_wisdom.c -o /tmp/fftw_wisdom -lfftw3f && /tmp/fftw_wisdom 512 1024 2048 */
#include <fftw3.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv){
  for (int a = 1; a < argc; a++) { int n = atoi(argv[a]);
    float *in=fftwf_malloc(4*n); fftwf_complex *out=fftwf_malloc(8*(n/2+1));
    fftwf_plan p = fftwf_plan_dft_r2c_1d(n,in,out,FFTW_PATIENT); fftwf_destroy_plan(p); fftwf_free(in); fftwf_free(out); }
  char *s = fftwf_export_wisdom_to_string(); printf("%s", s); return 0; }
